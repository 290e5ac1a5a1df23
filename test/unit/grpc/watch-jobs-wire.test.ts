// The hand-written WatchJobs codecs against protobufjs's (what @grpc/proto-loader serves and what
// they replace on the hot path): the same bytes out, the same objects in. Byte equality is the
// point: a Dapr sidecar, or anything else reading the stream, sees exactly what it saw before.

import { describe, expect, it } from 'vitest';
import {
  decodeWatchJobsResponse,
  decodeWatchJobsResult,
  encodeValue,
  encodeWatchJobsResponse,
  encodeWatchJobsResponseInto,
  encodeWatchJobsResult,
  loadDuetimeProtos,
  VALUE_TYPE_URL,
  type WatchJobsResponseFields,
} from '@duetime/sdk/protocol';
import { frameMessages } from '../../../packages/sdk/src/grpc-frames.js';
import { MAX_FRAMED_RESULT_BYTES, writeFramedWatchJobsResult } from '../../../packages/sdk/src/protocol/watch-jobs-result-wire.js';

const watchJobs = loadDuetimeProtos().schedulerService.WatchJobs!;
const theirResponse = (message: object): Buffer => watchJobs.responseSerialize(message);
const theirResponseDecode = (bytes: Buffer): unknown => watchJobs.responseDeserialize(bytes);
const theirRequest = (message: object): Buffer => watchJobs.requestSerialize(message);
const theirRequestDecode = (bytes: Buffer): unknown => watchJobs.requestDeserialize(bytes);

/** The object the server sent before, for the same fields. */
function asMessage(fields: WatchJobsResponseFields): object {
  return {
    name: fields.name,
    id: String(fields.id),
    ...(fields.data ? { data: fields.data } : {}),
    metadata: { appId: fields.appId, namespace: fields.namespace, target: fields.actor ? { actor: fields.actor } : { job: {} } },
    ...(fields.traceContext ? { traceContext: fields.traceContext } : {}),
  };
}

const responses: Array<[string, WatchJobsResponseFields]> = [
  ['a job without data', { name: 'j', id: 1, appId: 'app', namespace: 'default' }],
  ['JSON data', { name: 'wburst-19999', id: 20_001, data: { type_url: VALUE_TYPE_URL, value: encodeValue({ i: 19_999 }) }, appId: 'watch', namespace: 'default' }],
  ['raw data and empty strings', { name: '', id: 0, data: { type_url: '', value: Buffer.from([0, 1, 2]) }, appId: '', namespace: '' }],
  ['an actor reminder', { name: 'remind', id: 2 ** 40, appId: 'owner', namespace: 'ns', actor: { type: 'Cart', id: 'c-1' } }],
  ['trace context', { name: 't', id: 3, appId: 'a', namespace: 'n', traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'k=v' } }],
  ['long and non-ASCII strings', { name: 'ü'.repeat(300), id: 2 ** 53 - 1, data: { type_url: VALUE_TYPE_URL, value: encodeValue('x'.repeat(70_000)) }, appId: 'äpp', namespace: 'ns✓' }],
];

describe('WatchJobsResponse by hand', () => {
  it.each(responses)('%s: the bytes protobufjs writes', (_label, fields) => {
    expect(encodeWatchJobsResponse(fields).equals(theirResponse(asMessage(fields)))).toBe(true);
  });

  it.each(responses)('%s, framed: the gRPC message header (uncompressed, big-endian length) before the same bytes', (_what, fields) => {
    const message = theirResponse(asMessage(fields));
    const header = Buffer.alloc(5);
    header.writeUInt32BE(message.length, 1);
    expect(encodeWatchJobsResponse(fields, true).equals(Buffer.concat([header, message]))).toBe(true);
  });

  it('every message encoded into one batch, growing it as needed: the framed bytes of each, in order', () => {
    let buffer = Buffer.alloc(0);
    let used = 0;
    const batch = {
      get buffer() {
        return buffer;
      },
      reserve(bytes: number): number {
        if (used + bytes > buffer.length) buffer = Buffer.concat([buffer.subarray(0, used), Buffer.alloc(used + bytes)]);
        used += bytes;
        return used - bytes;
      },
    };
    for (const [, fields] of responses) encodeWatchJobsResponseInto(fields, batch);
    const expected = Buffer.concat(responses.map(([, fields]) => encodeWatchJobsResponse(fields, true)));
    expect(buffer.subarray(0, used).toString('hex')).toBe(expected.toString('hex'));
  });

  it('caches nothing wrong: another app after a first one gets its own metadata', () => {
    const first = encodeWatchJobsResponse({ name: 'a', id: 1, appId: 'one', namespace: 'default' });
    const second = encodeWatchJobsResponse({ name: 'a', id: 1, appId: 'two', namespace: 'default' });
    expect(first.equals(theirResponse(asMessage({ name: 'a', id: 1, appId: 'one', namespace: 'default' })))).toBe(true);
    expect(second.equals(theirResponse(asMessage({ name: 'a', id: 1, appId: 'two', namespace: 'default' })))).toBe(true);
  });

  it.each(responses)('%s: decodes to what protobufjs decodes', (_label, fields) => {
    const bytes = theirResponse(asMessage(fields));
    expect(decodeWatchJobsResponse(bytes)).toEqual(theirResponseDecode(bytes));
  });

  it('decodes the same metadata bytes again to the same values, and other metadata afresh', () => {
    const one = encodeWatchJobsResponse({ name: 'a', id: 1, appId: 'one', namespace: 'default' });
    const two = encodeWatchJobsResponse({ name: 'b', id: 2, appId: 'two', namespace: 'default', actor: { type: 'T', id: 'x' } });
    for (const bytes of [one, one, two, one, two, two]) expect(decodeWatchJobsResponse(bytes)).toEqual(theirResponseDecode(bytes));
  });

  it('skips unknown fields and reads an empty message with the defaults', () => {
    const known = theirResponse(asMessage(responses[1]![1]));
    // field 7 varint, field 8 fixed64, field 9 bytes, field 10 fixed32: a newer server's fields
    const unknown = Buffer.from([0x38, 0x96, 0x01, 0x41, 1, 2, 3, 4, 5, 6, 7, 8, 0x4a, 0x02, 0xaa, 0xbb, 0x55, 1, 2, 3, 4]);
    const bytes = Buffer.concat([unknown, known, unknown]);
    expect(decodeWatchJobsResponse(bytes)).toEqual(theirResponseDecode(bytes));
    expect(decodeWatchJobsResponse(Buffer.alloc(0))).toEqual(theirResponseDecode(Buffer.alloc(0)));
  });

  it('throws on truncated bytes and on ids it cannot hold exactly, for the generic decoder to take', () => {
    const bytes = encodeWatchJobsResponse(responses[1]![1]);
    expect(() => decodeWatchJobsResponse(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    const big = theirResponse({ name: 'n', id: '9007199254740993', metadata: { appId: 'a', namespace: 'n', target: { job: {} } } });
    expect(() => decodeWatchJobsResponse(big)).toThrow(/2\^53/);
  });
});

describe('WatchJobsRequest result by hand', () => {
  const results: Array<[string, 'SUCCESS' | 'FAILED']> = [
    ['0', 'SUCCESS'],
    ['1', 'FAILED'],
    ['12345', 'SUCCESS'],
    ['9007199254740991', 'FAILED'],
    ['18446744073709551615', 'SUCCESS'],
  ];

  it.each(results)('result{id %s, %s}: the bytes protobufjs writes', (id, status) => {
    expect(encodeWatchJobsResult(id, status).equals(theirRequest({ result: { id, status } }))).toBe(true);
  });

  it('results framed one after another into a buffer: each the bytes protobufjs writes, behind its gRPC header', () => {
    const out = Buffer.alloc(results.length * MAX_FRAMED_RESULT_BYTES);
    let at = 0;
    for (const [id, status] of results) at = writeFramedWatchJobsResult(out, at, id, status);
    const expected = Buffer.concat(results.map(([id, status]) => frameMessages([theirRequest({ result: { id, status } })])));
    expect(out.subarray(0, at).toString('hex')).toBe(expected.toString('hex'));
  });

  it.each(results.slice(0, 4))('result{id %s, %s}: decodes to what protobufjs decodes', (id, status) => {
    const bytes = theirRequest({ result: { id, status } });
    expect(decodeWatchJobsResult(bytes)).toEqual(theirRequestDecode(bytes));
  });

  it('leaves everything but a plain result to the generic decoder', () => {
    const initial = theirRequest({ initial: { appId: 'a', namespace: 'n', actorTypes: [], acceptJobTypes: [] } });
    expect(decodeWatchJobsResult(initial)).toBeUndefined();
    expect(decodeWatchJobsResult(theirRequest({ result: { id: '18446744073709551615', status: 'SUCCESS' } }))).toBeUndefined();
    expect(decodeWatchJobsResult(Buffer.from([0x12, 0x04, 0x08, 0x01, 0x10, 0x07]))).toBeUndefined(); // status 7: not ours to name
    expect(decodeWatchJobsResult(Buffer.from([0x12, 0x04, 0x08, 0x01, 0x18, 0x01]))).toBeUndefined(); // an unknown field
    expect(decodeWatchJobsResult(Buffer.from([0x12, 0x04, 0x08]))).toBeUndefined(); // truncated
    expect(decodeWatchJobsResult(Buffer.from([0x12, 0x00, 0x12, 0x00]))).toBeUndefined(); // result twice
    expect(decodeWatchJobsResult(Buffer.alloc(0))).toBeUndefined();
  });

  it('reads a result without fields as id 0, SUCCESS, as protobufjs does', () => {
    const bytes = Buffer.from([0x12, 0x00]);
    expect(decodeWatchJobsResult(bytes)).toEqual(theirRequestDecode(bytes));
  });
});
