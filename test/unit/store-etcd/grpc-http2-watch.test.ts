// GrpcHttp2Watch cutting gRPC messages out of HTTP/2 DATA chunks, whatever the split: a message
// across many chunks, several in one chunk, a split inside the 5-byte prefix; and how the call's
// end is reported. The stream is a stand-in for node:http2's (an emitter of its events); the real
// one against etcd is test/integration/etcd-watch-stream.test.ts.

import { EventEmitter } from 'node:events';
import type { ClientHttp2Stream } from 'node:http2';
import { fromJSON, type MethodDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { ETCD_API, type WatchResponse } from '../../../src/adapters/store-etcd/etcd-api.js';
import type { EtcdError } from '../../../src/adapters/store-etcd/etcd-error.js';
import { GrpcHttp2Watch } from '../../../src/adapters/store-etcd/grpc-http2-watch.js';

const definitions = fromJSON(ETCD_API, { keepCase: true, longs: String, defaults: true, oneofs: true });
const Watch = (definitions['etcdserverpb.Watch'] as unknown as Record<string, MethodDefinition<object, object>>).Watch!;

function framed(answer: object): Buffer {
  const message = Watch.responseSerialize(answer);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

class FakeStream extends EventEmitter {
  closed = false;
  destroyed = false;
  rstCode: number | undefined;
  written: Buffer[] = [];
  write(frame: Buffer): boolean {
    this.written.push(frame);
    return true;
  }
  close(code: number): void {
    this.closed = true;
    this.rstCode = code;
  }
}

function open(): { fake: FakeStream; watch: GrpcHttp2Watch; got: WatchResponse[]; errors: EtcdError[]; ended: () => boolean } {
  const fake = new FakeStream();
  const watch = new GrpcHttp2Watch(fake as unknown as ClientHttp2Stream, 1 << 20);
  const got: WatchResponse[] = [];
  const errors: EtcdError[] = [];
  let end = false;
  watch.on('data', (r) => got.push(r));
  watch.on('error', (e) => errors.push(e));
  watch.on('end', () => (end = true));
  return { fake, watch, got, errors, ended: () => end };
}

const kv = (key: string, rev: number): object => ({ key: Buffer.from(key), createRevision: rev, modRevision: rev, version: 1, value: Buffer.alloc(0), lease: 0 });
const answers = [
  { header: { revision: 5 }, created: true },
  { header: { revision: 6 }, events: [{ type: 0, kv: kv('/d/due/0001/a', 6) }] },
  { header: { revision: 7 }, events: Array.from({ length: 50 }, (_, i) => ({ type: 1, kv: kv(`/d/due/0002/${'x'.repeat(200)}${i}`, 7) })) },
  { header: { revision: 8 }, events: [{ type: 0, kv: kv('/d/staged/0003/b', 8) }] },
];
const wire = Buffer.concat(answers.map(framed));
const revisions = (got: WatchResponse[]): string[] => got.map((r) => r.header.revision);

describe('GrpcHttp2Watch', () => {
  it('hands over every message once, in order, however the bytes are split', () => {
    for (const size of [1, 2, 3, 4, 5, 6, 7, 64, 1000, wire.length]) {
      const { fake, got, errors } = open();
      for (let at = 0; at < wire.length; at += size) fake.emit('data', wire.subarray(at, at + size));
      expect(errors).toEqual([]);
      expect(revisions(got)).toEqual(['5', '6', '7', '8']);
      expect(got[2]!.events).toHaveLength(50);
    }
  });

  it('reports an OK status in the trailers as the end, and a failure status as an error with its code', () => {
    const ok = open();
    ok.fake.emit('response', { ':status': 200 });
    ok.fake.emit('trailers', { 'grpc-status': '0' });
    ok.fake.emit('close');
    expect(ok.ended()).toBe(true);
    expect(ok.errors).toEqual([]);

    const refused = open();
    refused.fake.emit('response', { ':status': 200 });
    refused.fake.emit('trailers', { 'grpc-status': '14', 'grpc-message': 'etcdserver%3A no leader' });
    refused.fake.emit('close');
    expect(refused.errors.map((e) => [e.grpcCode, e.message])).toEqual([[14, 'etcd Watch: etcdserver: no leader']]);
  });

  it('emits nothing after cancel, and sends no more', () => {
    const { fake, watch, got, errors, ended } = open();
    fake.emit('data', wire.subarray(0, 30));
    watch.cancel();
    fake.emit('data', wire.subarray(30));
    fake.emit('close');
    watch.create({ key: Buffer.from('a'), rangeEnd: Buffer.from('b'), startRevision: 1 });
    expect(revisions(got)).toEqual(['5']);
    expect(errors).toEqual([]);
    expect(ended()).toBe(false);
    expect(fake.written).toEqual([]);
  });

  it('fails the call on a message over the size limit, before it is all in', () => {
    const { fake, errors } = open();
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE((1 << 20) + 1, 1);
    fake.emit('data', prefix);
    expect(errors.map((e) => e.grpcCode)).toEqual([8]); // RESOURCE_EXHAUSTED
    expect(fake.rstCode).toBeDefined();
  });
});
