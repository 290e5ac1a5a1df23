// What a replica spends on its side of a progress commit on the etcd store, without the engine,
// the deliverer or other replicas around it: an EtcdJobStore in this process against a fresh etcd
// (src/testing/servers/etcd.ts); each round creates N jobs under its own key prefix, then commits
// every one to a tombstone with a history entry (a one-shot job delivered, as in a trigger burst)
// in commitProgressBatch calls of BATCH, two calls in flight (as the engine's outcome batches).
// Reported per round: this process's CPU per commit (process.cpuUsage, every thread). The first
// rounds still warm the JIT; compare the later ones. Nothing is asserted.
//   npx tsx bench/etcd-commit-probe.ts [--jobs 6000] [--batch 40] [--rounds 8]
// Prints one JSON line.

import os from 'node:os';
import { parseArgs } from 'node:util';
import { EtcdClient } from '../src/adapters/store-etcd/etcd-client.js';
import { EtcdJobStore } from '../src/adapters/store-etcd/etcd-job-store.js';
import { KeyLayout } from '../src/adapters/store-etcd/key-layout.js';
import type { JobRecord } from '../src/core/model/job.js';
import type { ProgressCommit } from '../src/core/ports/job-store.js';
import { startEtcd } from '../src/testing/servers/etcd.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '6000' },
    batch: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '8' },
  },
});
const N = Number(args.jobs);
const BATCH = Number(args.batch);
const DUE = 2_000_000_000_000;

const etcd = await startEtcd();
const client = new EtcdClient([`127.0.0.1:${etcd.port}`]);
let uids = 0;

function record(name: string): JobRecord {
  return {
    def: {
      key: { namespace: 'default', appId: 'app', name },
      uid: `uid-${++uids}`,
      createdAt: 1_700_000_000_000,
      failurePolicy: { kind: 'drop' },
      failurePolicySource: { drop: {} },
      target: { kind: 'app' },
      catchUp: 'all',
    },
    progress: { rev: 1, count: 0, attempts: 0, state: 'active', nextAt: DUE, tickAt: DUE },
  };
}

async function round(r: number): Promise<number> {
  const store = new EtcdJobStore({ client, layout: new KeyLayout(`/commit-probe-${r}/`), partitionCount: 16 });
  try {
    const records = Array.from({ length: N }, (_, i) => record(`job-${i}`));
    for (let i = 0; i < N; i += 64) await Promise.all(records.slice(i, i + 64).map((x) => store.create(x, { overwrite: false })));
    const now = Date.now();
    const commits: ProgressCommit[] = records.map((x) => ({
      key: x.def.key,
      uid: x.def.uid,
      expectedRev: 1,
      progress: { rev: 2, count: 1, attempts: 0, state: 'completed', lastTrigger: DUE, finishedAt: now },
      history: { scheduledAt: DUE, at: now, attempt: 1, outcome: 'success', manual: false },
    }));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < N) {
        const start = next;
        next += BATCH;
        const written = await store.commitProgressBatch(commits.slice(start, start + BATCH));
        if (written.some((ok) => !ok)) throw new Error('a commit was refused');
      }
    };
    const before = process.cpuUsage();
    await Promise.all([lane(), lane()]);
    const cpu = process.cpuUsage(before);
    return Math.round(((cpu.user + cpu.system) / N) * 10) / 10;
  } finally {
    await store.close();
  }
}

try {
  const perRound: number[] = [];
  for (let r = 0; r < Number(args.rounds); r++) perRound.push(await round(r));
  console.log(JSON.stringify({ jobs: N, batch: BATCH, cpuMicrosPerCommitByRound: perRound, load: os.loadavg()[0] }));
} finally {
  client.close();
  await etcd.stop();
}
