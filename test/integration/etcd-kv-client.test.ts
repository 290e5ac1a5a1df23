// The etcd client's KV calls (Range, Txn), which go over bare node:http2 rather than grpc-js
// (src/adapters/store-etcd/grpc-http2-unary.ts), against a real etcd: answers decoded, etcd's
// own errors passed on with their code, and every way of not reaching etcd reported as
// unavailable (which the store retries and answers 503), never thrown past the client, with the
// client connecting again once etcd is back.

import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { encodeRangeRequest, decodeRangeResponse } from '../../src/adapters/store-etcd/etcd-codec.js';
import { EtcdClient, EtcdError, toStoreError } from '../../src/adapters/store-etcd/etcd-client.js';
import { GrpcHttp2Unary } from '../../src/adapters/store-etcd/grpc-http2-unary.js';
import { get, getRange, put, rangeOf } from '../../src/adapters/store-etcd/txn-ops.js';
import { DuetimeError, UnavailableError } from '../../src/core/errors.js';
import { freePort } from '../../src/testing/servers/free-port.js';
import { useEtcdPerFile } from '../conformance/etcd-per-file.js';

const key = (name: string): Buffer => Buffer.from(`/kv-client-test/${name}`);

async function failure(call: Promise<unknown>): Promise<EtcdError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EtcdError);
  return error as EtcdError;
}

describe('etcd client: KV calls over HTTP/2', () => {
  const shared = useEtcdPerFile();

  it('writes with Txn and reads back with Range and a Txn of gets, with revisions', async () => {
    const written = await shared.client.txn({ compare: [], success: [put(key('a'), Buffer.from('one')), put(key('b'), Buffer.from('two'))], failure: [] });
    expect(written.succeeded).toBe(true);
    const revision = Number(written.header.revision);
    expect(revision).toBeGreaterThan(0);

    const range = await shared.client.range({ key: key('a'), rangeEnd: key('c') });
    expect(range.kvs.map((kv) => [kv.key.toString(), kv.value.toString(), Number(kv.modRevision)])).toEqual([
      [key('a').toString(), 'one', revision],
      [key('b').toString(), 'two', revision],
    ]);
    const read = await shared.client.txn({ compare: [], success: [get(key('b')), getRange({ start: key('a'), end: key('c') }, { keysOnly: true })], failure: [] });
    expect(rangeOf(read.responses[0]).kvs[0]!.value.toString()).toBe('two');
    expect(rangeOf(read.responses[1]).kvs.map((kv) => kv.value.length)).toEqual([0, 0]);
  });

  it('reads an answer of several megabytes (many HTTP/2 frames, past the default flow-control window)', async () => {
    const value = Buffer.alloc(200_000, 7);
    for (let i = 0; i < 20; i++) await shared.client.txn({ compare: [], success: [put(key(`big/${String(i).padStart(2, '0')}`), value)], failure: [] });
    const range = await shared.client.range({ key: key('big/'), rangeEnd: key('big0') });
    expect(range.kvs).toHaveLength(20);
    expect(range.kvs.every((kv) => kv.value.equals(value))).toBe(true);
  });

  it("passes etcd's own refusals on with their code and message, not as unavailable", async () => {
    // etcd refuses a transaction that writes one key twice.
    const error = await failure(shared.client.txn({ compare: [], success: [put(key('dup'), Buffer.from('1')), put(key('dup'), Buffer.from('2'))], failure: [] }));
    expect(error.grpcCode).toBe(3); // INVALID_ARGUMENT
    expect(error.message).toContain('duplicate key');
    expect(error.unavailable).toBe(false);
    // The connection is still good.
    expect((await shared.client.range({ key: key('a') })).kvs).toHaveLength(1);
  });

  it("maps a request over etcd's size limit to the too-large store error", async () => {
    const error = await failure(shared.client.txn({ compare: [], success: [put(key('huge'), Buffer.alloc(1_700_000, 1))], failure: [] }));
    expect(error.unavailable).toBe(false);
    const storeError = toStoreError(error);
    expect(storeError).toBeInstanceOf(DuetimeError);
    expect((storeError as DuetimeError).kind).toBe('too-large');
  });

  it('reports an etcd that is down as unavailable, and reconnects on the first call after it is back', async () => {
    await shared.client.range({ key: key('a') }); // a live connection, which the stop will break
    await shared.server.down();
    try {
      const error = await failure(shared.client.txn({ compare: [], success: [put(key('down'), Buffer.from('x'))], failure: [] }));
      expect(error.unavailable).toBe(true);
      expect(toStoreError(error)).toBeInstanceOf(UnavailableError);
      expect((await failure(shared.client.range({ key: key('a') }))).unavailable).toBe(true);
    } finally {
      await shared.server.up();
    }
    const range = await shared.client.range({ key: key('a') });
    expect(range.kvs[0]!.value.toString()).toBe('one');
  });

  it('fails a call over to the next endpoint when one is unreachable', async () => {
    const nobody = await freePort();
    const two = new EtcdClient([`127.0.0.1:${nobody}`, `127.0.0.1:${shared.server.port}`]);
    try {
      expect((await failure(two.range({ key: key('a') }))).unavailable).toBe(true);
      expect((await two.range({ key: key('a') })).kvs).toHaveLength(1);
    } finally {
      two.close();
    }
  });

  it('ends a call that gets no answer at its deadline, as unavailable', async () => {
    // A peer that accepts the connection and never says a word: a hung etcd or a dead network.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const hung = new EtcdClient([`127.0.0.1:${port}`], { callTimeoutMs: 300 });
    try {
      const error = await failure(hung.txn({ compare: [], success: [put(key('hung'), Buffer.from('x'))], failure: [] }));
      expect(error.grpcCode).toBe(4); // DEADLINE_EXCEEDED
      expect(error.unavailable).toBe(true);
    } finally {
      hung.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('moves to a new connection after callsPerSession calls (HTTP/2 stream ids run out), letting calls in flight finish', async () => {
    const unary = new GrpcHttp2Unary(`127.0.0.1:${shared.server.port}`, { maxReceiveBytes: 1 << 20, maxSendBytes: 1 << 20, callsPerSession: 3 });
    const range = (): Promise<number> =>
      unary.call('Range', '/etcdserverpb.KV/Range', encodeRangeRequest({ key: key('a') }), decodeRangeResponse, 5_000).then((r) => r.kvs.length);
    try {
      for (let i = 0; i < 7; i++) expect(await range()).toBe(1);
      expect(await Promise.all(Array.from({ length: 10 }, range))).toEqual(Array(10).fill(1));
    } finally {
      unary.close();
    }
  });

  it('refuses calls once closed', async () => {
    const closed = new EtcdClient([`127.0.0.1:${shared.server.port}`]);
    await closed.range({ key: key('a') });
    closed.close();
    const error = await failure(closed.range({ key: key('a') }));
    expect(error.grpcCode).toBe(1); // CANCELLED
  });
});
