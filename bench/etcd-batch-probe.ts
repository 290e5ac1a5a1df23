// What etcd itself spends per job's write, by batch size and key layout, without Duetime around
// it: a fresh etcd (src/testing/servers/etcd.ts) takes N schedules and then N triggers written as
// the store writes them (nested transactions, BATCH per request, two requests in flight), and its
// CPU is read from /proc. Variants: the current layout (definition, progress and due-index keys:
// 3 puts per schedule; a trigger puts progress, history and finished-index keys and deletes the
// due key) and one with definition and progress merged into one key (2 puts per schedule; a
// trigger rewrites the merged value), and one whose trigger carries the history entry in the
// progress value instead of its own key (3 writes per trigger, not 4). Nothing is asserted.
//   npx tsx bench/etcd-batch-probe.ts [--jobs 12000] [--batches 8,23,64] [--merged | --inline-history]
// Prints one JSON line per run (alternating variants when --merged is given).

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { TxnRequest } from '../src/adapters/store-etcd/etcd-api.js';
import { EtcdClient } from '../src/adapters/store-etcd/etcd-client.js';
import { createRevisionIs, del, modRevisionIs, put } from '../src/adapters/store-etcd/txn-ops.js';
import { startEtcd } from '../src/testing/servers/etcd.js';
import { cpuSeconds } from './lib/proc-cpu.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '12000' },
    batches: { type: 'string', default: '8,23,64' },
    merged: { type: 'boolean', default: false },
    'inline-history': { type: 'boolean', default: false },
  },
});
const N = Number(args.jobs);
// Sizes as measured in the cluster bench: ~670 bytes put per schedule, ~435 per trigger.
const DEF = Buffer.alloc(230, 0x61);
const PROG = Buffer.alloc(110, 0x62);
const HIST = Buffer.alloc(60, 0x63);
const EMPTY = Buffer.alloc(0);

const etcd = await startEtcd();
const client = new EtcdClient([`127.0.0.1:${etcd.port}`]);
// The etcd process, for its CPU: the one listening on this port.
const pid = Number(execFileSync('pgrep', ['-f', `listen-client-urls http://127.0.0.1:${etcd.port}`], { encoding: 'utf8' }).trim().split('\n')[0]);

async function drive(requests: TxnRequest[], batch: number): Promise<number[]> {
  const revisions: number[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < requests.length) {
      const start = next;
      next += batch;
      const group = requests.slice(start, start + batch);
      const response = await client.txn({ compare: [], success: group.map((t) => ({ requestTxn: t })), failure: [] });
      group.forEach((_, i) => (revisions[start + i] = Number(response.header.revision)));
    }
  };
  await Promise.all([lane(), lane()]);
  return revisions;
}

async function run(name: string, batch: number, merged: boolean, inline = false): Promise<object> {
  const key = (kind: string, i: number): Buffer => Buffer.from(`/probe-${name}/${kind}/default\u0000app\u0000job-${i}`);
  const owner = Buffer.from(`/probe-${name}/owner`);
  const ownerRevision = Number((await client.txn({ compare: [], success: [put(owner, Buffer.from('me'))], failure: [] })).header.revision);
  const job = (i: number): Buffer => key(merged ? 'job' : 'job/p', i);
  let before = cpuSeconds(pid);
  const revisions = await drive(
    Array.from({ length: N }, (_, i) => ({
      compare: [createRevisionIs(key(merged ? 'job' : 'job/d', i), 0)],
      success: merged
        ? [put(job(i), Buffer.concat([DEF, PROG])), put(key('due', i), EMPTY)]
        : [put(key('job/d', i), DEF), put(job(i), PROG), put(key('due', i), EMPTY)],
      failure: [],
    })),
    batch,
  );
  const schedule = Math.round(((cpuSeconds(pid) - before) * 1e6) / N);
  before = cpuSeconds(pid);
  await drive(
    Array.from({ length: N }, (_, i) => ({
      compare: [modRevisionIs(job(i), revisions[i]!), createRevisionIs(owner, ownerRevision)],
      success: inline
        ? [put(job(i), Buffer.concat([PROG, HIST])), put(key('ended', i), EMPTY), del(key('due', i))]
        : [put(job(i), merged ? Buffer.concat([DEF, PROG]) : PROG), put(key('hist', i), HIST), put(key('ended', i), EMPTY), del(key('due', i))],
      failure: [],
    })),
    batch,
  );
  const trigger = Math.round(((cpuSeconds(pid) - before) * 1e6) / N);
  return { layout: inline ? 'history entry in the progress value' : merged ? 'merged (2 keys)' : 'current (3 keys)', batch, jobs: N, etcdCpuMicrosPerSchedule: schedule, etcdCpuMicrosPerTrigger: trigger };
}

try {
  let round = 0;
  for (const batch of args.batches.split(',').map(Number)) {
    if (args['inline-history']) {
      for (const inline of [false, true, false, true, false, true]) console.log(JSON.stringify({ ...(await run(`r${round++}`, batch, false, inline)), load: os.loadavg()[0] }));
      continue;
    }
    for (const merged of args.merged ? [false, true, false, true] : [false, false]) {
      console.log(JSON.stringify({ ...(await run(`r${round++}`, batch, merged)), load: os.loadavg()[0] }));
    }
  }
} finally {
  client.close();
  await etcd.stop();
}
