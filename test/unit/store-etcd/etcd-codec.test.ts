// The hand-written codec (etcd-codec.ts) against @grpc/proto-loader's generic one over the same
// descriptor (etcd-api.ts), loaded with the client's options: requests must mean the same to a
// protobuf decoder, answers must decode to the same objects.

import { fromJSON, type MethodDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { ETCD_API, type RangeRequest, type TxnRequest } from '../../../src/adapters/store-etcd/etcd-api.js';
import { decodeRangeResponse, decodeTxnResponse, decodeWatchResponse, encodeRangeRequest, encodeTxnRequest, encodeWatchCreateRequest } from '../../../src/adapters/store-etcd/etcd-codec.js';
import { createRevisionIs, del, delRange, delReturningPrevious, get, getRange, modRevisionIs, put, putReturningPrevious } from '../../../src/adapters/store-etcd/txn-ops.js';

const definitions = fromJSON(ETCD_API, { keepCase: true, longs: String, defaults: true, oneofs: true });
const method = (service: string, name: string): MethodDefinition<object, object> =>
  (definitions[`etcdserverpb.${service}`] as unknown as Record<string, MethodDefinition<object, object>>)[name]!;
const Txn = method('KV', 'Txn');
const Range = method('KV', 'Range');
const Watch = method('Watch', 'Watch');

const b = (text: string): Buffer => Buffer.from(text);
const big = '9223372036854775807';

const requests: TxnRequest[] = [
  { compare: [], success: [], failure: [] },
  { compare: [createRevisionIs(b('/d/job/d/a'), 0)], success: [put(b('/d/job/d/a'), b('{"x":1}')), put(b('/d/due/0001/000/a'), Buffer.alloc(0))], failure: [get(b('/d/job/p/a'))] },
  {
    compare: [modRevisionIs(b('p'), 123_456_789_012), createRevisionIs(b('owner'), 7)],
    success: [del(b('due')), delRange({ start: b('h/'), end: b('h0') }), put(b('lease'), b('v'), big), put(b('lease2'), b('v'), '7587884613316378371')],
    failure: [get(b('owner'), 99)],
  },
  {
    compare: [],
    success: [
      { requestTxn: { compare: [modRevisionIs(b('k'), 5)], success: [put(b('k'), b('é'.repeat(300)))], failure: [get(b('o'))] } },
      { requestTxn: { compare: [], success: [getRange({ start: b('a'), end: b('b') }, { limit: 500, revision: 2 ** 40, keysOnly: true, descending: true })], failure: [] } },
    ],
    failure: [],
  },
  { compare: [{ result: 3, target: 4, key: b('x'), lease: '-1' }, { result: 0, target: 3, key: b('y'), value: b('val') }, { result: 1, target: 0, key: b('z'), version: 0 }], success: [], failure: [] },
  // A create's overwrite and a delete asking for what they replaced (prev_kv), also nested.
  {
    compare: [modRevisionIs(b('/d/job/p/a'), 9)],
    success: [putReturningPrevious(b('/d/job/d/a'), b('{"x":2}')), delReturningPrevious(b('/d/job/d/b')), { requestTxn: { compare: [], success: [delReturningPrevious(b('/d/job/d/c'))], failure: [] } }],
    failure: [],
  },
];

describe('etcd codec', () => {
  it('encodes transactions that decode as proto-loader encodes them', () => {
    for (const request of requests) {
      const ours = encodeTxnRequest(request);
      expect(Txn.requestDeserialize(ours)).toEqual(Txn.requestDeserialize(Txn.requestSerialize(request)));
    }
  });

  it('encodes ranges that decode as proto-loader encodes them', () => {
    const ranges: RangeRequest[] = [
      { key: b('a') },
      { key: b('a'), rangeEnd: b('b'), limit: 10, revision: 42, sortOrder: 2, sortTarget: 0, keysOnly: true },
      { key: b('m'), countOnly: true },
    ];
    for (const request of ranges) expect(Range.requestDeserialize(encodeRangeRequest(request))).toEqual(Range.requestDeserialize(Range.requestSerialize(request)));
  });

  it('encodes watch creations that decode as proto-loader encodes them', () => {
    const creations = [
      { key: b('/d/due/'), rangeEnd: b('/d/due0'), startRevision: 1 },
      { key: b('/d/apps/'), rangeEnd: b('/d/apps0'), startRevision: 2 ** 40, progressNotify: true, prevKv: false },
      { key: b('k'), rangeEnd: Buffer.alloc(0), startRevision: 0 },
    ];
    for (const createRequest of creations) {
      expect(Watch.requestDeserialize(encodeWatchCreateRequest(createRequest))).toEqual(Watch.requestDeserialize(Watch.requestSerialize({ createRequest })));
    }
  });

  const kv = (key: string, rev: number | string, value = ''): object => ({ key: b(key), createRevision: rev, modRevision: rev, version: 1, value: b(value), lease: 0 });
  const header = { clusterId: '14841639068965178418', memberId: '10276657743932975437', revision: '1234567', raftTerm: '2' };

  it('decodes transaction answers as proto-loader does', () => {
    const answers = [
      { header, succeeded: false, responses: [] },
      { header, succeeded: true, responses: [{ responsePut: { header } }, { responseDeleteRange: { header, deleted: 3 } }] },
      { header, succeeded: true, responses: [{ responsePut: { header, prevKv: kv('d', 41, '{"old":1}') } }, { responseDeleteRange: { header, deleted: 2, prevKvs: [kv('d1', 5, 'x'), kv('d2', big, 'é')] } }] },
      {
        header,
        succeeded: true,
        responses: [
          { responseRange: { header, kvs: [kv('a', 5, 'x'), kv('b', big, 'é'), { key: b('empty') }], more: true, count: 12 } },
          { responseTxn: { header, succeeded: false, responses: [{ responseRange: { header, kvs: [], more: false, count: 0 } }] } },
          { responseRange: {} },
        ],
      },
      {},
    ];
    for (const answer of answers) {
      const bytes = Txn.responseSerialize(answer);
      expect(decodeTxnResponse(bytes)).toEqual(Txn.responseDeserialize(bytes));
    }
  });

  it('decodes range answers as proto-loader does', () => {
    for (const answer of [{ header, kvs: [kv('k', 2 ** 45, 'v')], more: false, count: 1 }, { header }, {}]) {
      const bytes = Range.responseSerialize(answer);
      expect(decodeRangeResponse(bytes)).toEqual(Range.responseDeserialize(bytes));
    }
  });

  it('decodes watch answers as proto-loader does', () => {
    const answers = [
      { header, watchId: 0, created: true },
      { header, watchId: 1, events: [{ type: 0, kv: kv('/d/due/0001/x', 77) }, { type: 1, kv: { key: b('/d/due/0002/y'), modRevision: 78 } }, { type: 0, kv: kv('p', 9), prevKv: kv('p', 8, 'old') }] },
      { header, canceled: true, compactRevision: 500, cancelReason: 'mvcc: required revision has been compacted' },
      { watchId: '-1', fragment: true },
    ];
    for (const answer of answers) {
      const bytes = Watch.responseSerialize(answer);
      expect(decodeWatchResponse(bytes)).toEqual(Watch.responseDeserialize(bytes));
    }
  });
});
