// Builders for etcd transaction parts, so the store reads as scheduler logic.

import { CompareResult, CompareTarget, type Compare, type KeyValue, type RangeResponse, type RequestOp, type ResponseOp } from './etcd-api.js';

/** etcd's limit on operations per transaction (--max-txn-ops, default 128). */
export const MAX_TXN_OPS = 128;

export const put = (key: Buffer, value: Buffer, lease?: string): RequestOp => ({ requestPut: { key, value, ...(lease ? { lease } : {}) } });
export const del = (key: Buffer): RequestOp => ({ requestDeleteRange: { key } });
export const delRange = (range: { start: Buffer; end: Buffer }): RequestOp => ({ requestDeleteRange: { key: range.start, rangeEnd: range.end } });
/** A put that answers the key's previous value (previousKv): etcd reads it in the put, no Range of its own. */
export const putReturningPrevious = (key: Buffer, value: Buffer): RequestOp => ({ requestPut: { key, value, prevKv: true } });
/** A delete of one key that answers its value (previousKv), read by the delete itself. */
export const delReturningPrevious = (key: Buffer): RequestOp => ({ requestDeleteRange: { key, prevKv: true } });
export const get = (key: Buffer, revision?: number): RequestOp => ({ requestRange: { key, ...(revision ? { revision } : {}) } });
export const getRange = (
  range: { start: Buffer; end: Buffer },
  options: { limit?: number; revision?: number; keysOnly?: boolean; descending?: boolean } = {},
): RequestOp => ({
  requestRange: {
    key: range.start,
    rangeEnd: range.end,
    ...(options.limit ? { limit: options.limit } : {}),
    ...(options.revision ? { revision: options.revision } : {}),
    ...(options.keysOnly ? { keysOnly: true } : {}),
    ...(options.descending ? { sortOrder: 2, sortTarget: 0 } : {}),
  },
});

/** The key was last written at this revision (0: the key does not exist). */
export const modRevisionIs = (key: Buffer, revision: number): Compare => ({
  result: CompareResult.EQUAL,
  target: CompareTarget.MOD,
  key,
  modRevision: revision,
});

/** The key was created at this revision (0: the key does not exist). */
export const createRevisionIs = (key: Buffer, revision: number): Compare => ({
  result: CompareResult.EQUAL,
  target: CompareTarget.CREATE,
  key,
  createRevision: revision,
});

export function rangeOf(response: ResponseOp | undefined): RangeResponse {
  if (!response?.responseRange) throw new Error('etcd: expected a range response');
  return response.responseRange;
}

export function firstKv(response: ResponseOp | undefined): KeyValue | undefined {
  return rangeOf(response).kvs[0];
}

/** The value a putReturningPrevious or delReturningPrevious replaced or deleted; undefined when the key did not exist. */
export function previousKv(response: ResponseOp | undefined): KeyValue | undefined {
  if (response?.responsePut) return response.responsePut.prevKv ?? undefined;
  if (response?.responseDeleteRange) return response.responseDeleteRange.prevKvs[0];
  throw new Error('etcd: expected a put or delete response');
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
