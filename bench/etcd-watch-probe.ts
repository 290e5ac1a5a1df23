// What an etcd watch costs the process that watches, per message: the store's watch stream over
// bare node:http2 (grpc-http2-watch.ts, since the night of 2026-12-04) against the same watch
// through @grpc/grpc-js (before), both decoding with the hand-written codec. A child process
// watches a key range and reports its own CPU (process.cpuUsage) from its first message to the
// last; this process writes the changes, each request one revision of `batch` keys (as a
// trigger burst's commits reach every replica's index watch: one message per batch), two
// requests in flight. Alternating three times on a fresh etcd. Nothing is asserted.
//   npx tsx bench/etcd-watch-probe.ts [--changes 20000] [--batch 8]

import { credentials, makeGenericClientConstructor, type ClientDuplexStream } from '@grpc/grpc-js';
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { WatchResponse } from '../src/adapters/store-etcd/etcd-api.js';
import { EtcdClient } from '../src/adapters/store-etcd/etcd-client.js';
import { decodeWatchResponse, encodeWatchCreateRequest } from '../src/adapters/store-etcd/etcd-codec.js';
import { put } from '../src/adapters/store-etcd/txn-ops.js';
import { startEtcd } from '../src/testing/servers/etcd.js';

const { values: args } = parseArgs({
  options: { changes: { type: 'string', default: '20000' }, batch: { type: 'string', default: '8' }, watcher: { type: 'string' }, endpoint: { type: 'string' }, round: { type: 'string' } },
});
const CHANGES = Number(args.changes);
const BATCH = Number(args.batch);
const range = (round: string): { key: Buffer; rangeEnd: Buffer } => ({ key: Buffer.from(`/watch-probe/${round}/`), rangeEnd: Buffer.from(`/watch-probe/${round}0`) });

if (args.watcher) await watch(args.watcher, args.endpoint!, args.round!);
else await main();

/** The child: watch the round's range until CHANGES events arrived, then report CPU per message. */
async function watch(kind: string, endpoint: string, round: string): Promise<void> {
  // The store's HTTP/2 session is unref'd (a server's listeners keep it alive): so is nothing here.
  const alive = setInterval(() => undefined, 1_000);
  let stream: { on(event: 'data', f: (r: WatchResponse) => void): void };
  let close: () => void;
  if (kind === 'grpc-js') {
    const Watch = makeGenericClientConstructor(
      {
        Watch: {
          path: '/etcdserverpb.Watch/Watch',
          requestStream: true,
          responseStream: true,
          requestSerialize: (r: { createRequest: Parameters<typeof encodeWatchCreateRequest>[0] }) => encodeWatchCreateRequest(r.createRequest),
          requestDeserialize: () => ({}),
          responseSerialize: () => Buffer.alloc(0),
          responseDeserialize: decodeWatchResponse,
        },
      },
      'Watch',
    );
    const client = new Watch(endpoint, credentials.createInsecure()) as unknown as { Watch(): ClientDuplexStream<object, WatchResponse>; close(): void };
    const call = client.Watch();
    call.on('error', () => undefined);
    call.write({ createRequest: { ...range(round), startRevision: 0 } });
    stream = call;
    close = () => {
      call.cancel();
      client.close();
    };
  } else {
    const client = new EtcdClient([endpoint]);
    const call = client.watchStream();
    call.on('error', () => undefined);
    call.create({ ...range(round), startRevision: 0 });
    stream = call;
    close = () => {
      call.cancel();
      client.close();
    };
  }
  let events = 0;
  let messages = 0;
  let before: NodeJS.CpuUsage | undefined;
  stream.on('data', (response) => {
    if (response.created) return process.send!('ready');
    if (response.events.length === 0) return;
    // The first message starts the clock: its cost is left out, as is the set-up.
    if (!before) {
      before = process.cpuUsage();
      events += response.events.length;
      return;
    }
    messages++;
    events += response.events.length;
    if (events >= CHANGES) {
      const used = process.cpuUsage(before);
      process.send!({ cpuMicros: used.user + used.system, messages, events: events });
      close();
      clearInterval(alive);
      setTimeout(() => process.exit(0), 100);
    }
  });
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const endpoint = `127.0.0.1:${etcd.port}`;
  const writer = new EtcdClient([endpoint]);
  const self = fileURLToPath(import.meta.url);
  try {
    for (let round = 0; round < 3; round++) {
      for (const kind of ['grpc-js', 'http2']) {
        const tag = `${kind}-${round}`;
        const child = fork(self, ['--watcher', kind, '--endpoint', endpoint, '--round', tag, '--changes', String(CHANGES)], { execArgv: ['--import', 'tsx'] });
        const report = new Promise<{ cpuMicros: number; messages: number; events: number }>((resolve, reject) => {
          child.on('message', (m) => {
            if (typeof m === 'object') resolve(m as { cpuMicros: number; messages: number; events: number });
          });
          child.on('exit', (code) => reject(new Error(`watcher exited ${code}`)));
        });
        await new Promise<void>((resolve) => child.on('message', (m) => m === 'ready' && resolve()));
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < CHANGES) {
            const first = next;
            next += BATCH;
            const ops = Array.from({ length: BATCH }, (_, j) => put(Buffer.concat([range(tag).key, Buffer.from(`k${first + j}`)]), Buffer.alloc(0)));
            await writer.txn({ compare: [], success: ops, failure: [] });
          }
        };
        await Promise.all([lane(), lane()]);
        const r = await report;
        console.log(
          JSON.stringify({ watch: kind, round, batch: BATCH, messages: r.messages, cpuMicrosPerMessage: Math.round(r.cpuMicros / r.messages), cpuMicrosPerChange: Math.round((r.cpuMicros / r.events) * 10) / 10, load: os.loadavg()[0] }),
        );
      }
    }
  } finally {
    writer.close();
    await etcd.stop();
  }
}
