// The etcd watch over the KV calls' bare HTTP/2 session (grpc-http2-watch.ts, opened by
// grpc-http2-unary.ts) under RangeWatch (range-watch.ts), against a real etcd: every change from
// the start revision handed over once and in order (messages larger than an HTTP/2 frame, and
// many in one read), resumed after the last revision handed over when etcd restarts, a compacted
// start revision turned into a resynchronisation, and a connection gone silent broken by the
// keep-alive ping so the watch reconnects.

import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../src/adapters/store-etcd/etcd-api.js';
import { EtcdError } from '../../src/adapters/store-etcd/etcd-error.js';
import { GrpcHttp2Unary } from '../../src/adapters/store-etcd/grpc-http2-unary.js';
import { GrpcHttp2Watch } from '../../src/adapters/store-etcd/grpc-http2-watch.js';
import { RangeWatch } from '../../src/adapters/store-etcd/range-watch.js';
import { put } from '../../src/adapters/store-etcd/txn-ops.js';
import { useEtcdPerFile } from '../conformance/etcd-per-file.js';
import { eventually } from './components/helpers.js';

const prefix = (name: string): { start: Buffer; end: Buffer } => ({ start: Buffer.from(`/watch-test/${name}/`), end: Buffer.from(`/watch-test/${name}0`) });
const key = (name: string, sub: string): Buffer => Buffer.from(`/watch-test/${name}/${sub}`);

/** A RangeWatch recording what it hands over as "key@modRevision". */
function recorder(client: ReturnType<typeof useEtcdPerFile>['client'], name: string, fromRevision: number, onCompacted: () => Promise<number> = () => Promise.reject(new Error('not compacted'))) {
  const seen: string[] = [];
  const watch = new RangeWatch(client, {
    name,
    range: prefix(name),
    fromRevision,
    onEvents: (events: WatchEvent[]) => {
      for (const e of events) seen.push(`${e.kv.key.toString().slice(`/watch-test/${name}/`.length)}@${e.kv.modRevision}`);
    },
    onCompacted,
  });
  return { seen, watch };
}

describe('etcd watch over HTTP/2', () => {
  const shared = useEtcdPerFile();

  async function write(name: string, subs: string[], value = Buffer.from('v')): Promise<number> {
    const r = await shared.client.txn({ compare: [], success: subs.map((s) => put(key(name, s), value)), failure: [] });
    return Number(r.header.revision);
  }

  it('hands over every change from the start revision once and in order: messages over one HTTP/2 frame, and many small ones', async () => {
    const first = await write('order', ['before']);
    const expected = [`before@${first}`];
    const { seen, watch } = recorder(shared.client, 'order', first);
    watch.start();
    try {
      for (let i = 0; i < 40; i++) expected.push(`small-${i}@${await write('order', [`small-${i}`])}`);
      // 20 values of 60 KB in one revision: one watch message of about 1.2 MB, over many DATA frames.
      const subs = Array.from({ length: 20 }, (_, i) => `big-${String(i).padStart(2, '0')}`);
      const bigAt = await write('order', subs, Buffer.alloc(60_000, 1));
      expected.push(...subs.map((s) => `${s}@${bigAt}`));
      for (let i = 0; i < 10; i++) expected.push(`after-${i}@${await write('order', [`after-${i}`])}`);
      await eventually('every change', () => seen.length >= expected.length);
      expect(seen).toEqual(expected);
      expect(watch.connected).toBe(true);
    } finally {
      await watch.stop();
    }
  });

  it('resumes after the last revision handed over when etcd restarts, skipping and repeating nothing', async () => {
    const start = await write('restart', ['a']);
    const expected = [`a@${start}`];
    const { seen, watch } = recorder(shared.client, 'restart', start);
    watch.start();
    try {
      await eventually('the first change', () => seen.length === 1);
      await shared.server.down();
      await eventually('the watch to notice', () => !watch.connected);
      await shared.server.up();
      for (let i = 0; i < 5; i++) expected.push(`b-${i}@${await write('restart', [`b-${i}`])}`);
      await eventually('the changes after the restart', () => seen.length >= expected.length && watch.connected);
      expect(seen).toEqual(expected);
    } finally {
      await watch.stop();
    }
  });

  it('asks for a resynchronisation when its start revision was compacted, then goes on from the revision named', async () => {
    const old = await write('compacted', ['old']);
    const now = await write('compacted', ['new']);
    await compact(now);
    let resyncs = 0;
    const { seen, watch } = recorder(shared.client, 'compacted', old, () => {
      resyncs++;
      return Promise.resolve(now);
    });
    watch.start();
    try {
      const later = await write('compacted', ['later']);
      await eventually('the change after the resynchronisation', () => seen.length >= 1);
      expect(resyncs).toBe(1);
      expect(seen).toEqual([`later@${later}`]);
    } finally {
      await watch.stop();
    }
  });

  it('breaks a watch whose connection went silent (a keep-alive ping unanswered), as unavailable', async () => {
    // A peer that accepts the connection and never says a word: a hung etcd or a dead network.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const unary = new GrpcHttp2Unary(`127.0.0.1:${port}`, { maxReceiveBytes: 1 << 20, maxSendBytes: 1 << 20, pingEveryMs: 100, pingTimeoutMs: 200 });
    try {
      const stream = new GrpcHttp2Watch(unary.openStream('Watch', '/etcdserverpb.Watch/Watch'), 1 << 20);
      const failed = new Promise<EtcdError>((resolve) => stream.on('error', resolve));
      stream.create({ ...prefix('silent'), key: prefix('silent').start, rangeEnd: prefix('silent').end, startRevision: 1 });
      const error = await failed;
      expect(error).toBeInstanceOf(EtcdError);
      expect(error.unavailable).toBe(true);
    } finally {
      unary.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  /** etcd's Compact, called by hand: CompactionRequest{revision (1), physical (2)}. */
  async function compact(revision: number): Promise<void> {
    const unary = new GrpcHttp2Unary(`127.0.0.1:${shared.server.port}`, { maxReceiveBytes: 1 << 20, maxSendBytes: 1 << 20 });
    const varint: number[] = [];
    for (let v = revision; ; v = Math.floor(v / 128)) {
      if (v < 0x80) {
        varint.push(v);
        break;
      }
      varint.push((v % 128) | 0x80);
    }
    try {
      await unary.call('Compact', '/etcdserverpb.KV/Compact', Buffer.from([0x08, ...varint, 0x10, 1]), () => undefined, 5_000);
    } finally {
      unary.close();
    }
  }
});
