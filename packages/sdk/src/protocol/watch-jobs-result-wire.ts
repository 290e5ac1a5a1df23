// The WatchJobsRequest a client sends for each trigger, `result{id, status}`, encoded and decoded
// by hand: one per trigger each way, where protobufjs's generic path costs several times more
// than the bytes. The encoding is exactly protobufjs's (id and status always written, in field
// order; test/unit/grpc/watch-jobs-wire.test.ts checks it). The decoder takes only that plain
// shape and answers undefined for anything else (initial, unknown fields, other statuses, ids of
// 2^53 or more), which the caller hands to the generic decoder.
//
//   WatchJobsRequest { oneof { WatchJobsRequestInitial initial = 1; WatchJobsRequestResult result = 2; } }
//   WatchJobsRequestResult { uint64 id = 1; WatchJobsRequestResultStatus status = 2; }  SUCCESS = 0, FAILED = 1

import { varintSize, WireReader, writeVarint } from './wire-bytes.js';

export type WatchJobsResultStatus = 'SUCCESS' | 'FAILED';

/** As proto-loader renders a result message with the SDK's LOADER_OPTIONS. */
export interface DecodedWatchJobsResult {
  watchJobRequestType: 'result';
  result: { id: string; status: WatchJobsResultStatus };
}

const RESULT = 0x12; // WatchJobsRequest.result, length-delimited
const ID = 0x08; // WatchJobsRequestResult.id, varint
const STATUS = 0x10; // WatchJobsRequestResult.status, varint

/** `id` is the decimal id the trigger came with (below 2^53 from Duetime; larger ones are written exactly too). */
export function encodeWatchJobsResult(id: string, status: WatchJobsResultStatus): Buffer {
  const value = Number(id);
  if (!Number.isSafeInteger(value) || value < 0) return encodeLargeId(id, status);
  const out = Buffer.allocUnsafe(2 + 1 + varintSize(value) + 2);
  writeResult(out, 0, value, status);
  return out;
}

/** The most bytes writeFramedWatchJobsResult writes: gRPC's header and a result with a 10-byte varint id. */
export const MAX_FRAMED_RESULT_BYTES = 5 + 2 + 1 + 10 + 2;

/**
 * The result message framed (gRPC's 5-byte header, then encodeWatchJobsResult's bytes), written
 * at `at` of `out`, which has MAX_FRAMED_RESULT_BYTES of room there: the acks of one tick go into
 * one buffer without a Buffer each. Answers the offset after it.
 */
export function writeFramedWatchJobsResult(out: Buffer, at: number, id: string, status: WatchJobsResultStatus): number {
  const value = Number(id);
  let length: number;
  if (!Number.isSafeInteger(value) || value < 0) {
    const large = encodeLargeId(id, status);
    large.copy(out, at + 5);
    length = large.length;
  } else {
    length = writeResult(out, at + 5, value, status) - at - 5;
  }
  out[at] = 0;
  out.writeUInt32BE(length, at + 1);
  return at + 5 + length;
}

/** The result of an id below 2^53 at `start`; answers the offset after it. */
function writeResult(out: Buffer, start: number, value: number, status: WatchJobsResultStatus): number {
  out[start] = RESULT;
  out[start + 1] = 1 + varintSize(value) + 2; // at most 13, one byte
  out[start + 2] = ID;
  let at = writeVarint(out, start + 3, value);
  out[at++] = STATUS;
  out[at++] = status === 'FAILED' ? 1 : 0;
  return at;
}

// An id of 2^53 or more (another server's counter): its varint from the exact decimal, by BigInt.
function encodeLargeId(id: string, status: WatchJobsResultStatus): Buffer {
  let rest = BigInt.asUintN(64, BigInt(id));
  const varint: number[] = [];
  while (rest > 0x7fn) {
    varint.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  varint.push(Number(rest));
  return Buffer.from([RESULT, varint.length + 3, ID, ...varint, STATUS, status === 'FAILED' ? 1 : 0]);
}

/** The result message in `bytes`, or undefined when they hold anything else (decode those generically). */
export function decodeWatchJobsResult(bytes: Buffer): DecodedWatchJobsResult | undefined {
  if (bytes.length < 2 || bytes[0] !== RESULT) return undefined;
  try {
    const reader = new WireReader(bytes);
    reader.at = 1;
    const outer = reader.enter();
    let id = 0;
    let status = 0;
    while (!reader.done) {
      const tag = reader.varint();
      if (tag === ID) id = reader.varint();
      else if (tag === STATUS) status = reader.varint();
      else return undefined;
    }
    reader.leave(outer);
    if (!reader.done || status > 1 || id >= 2 ** 53) return undefined;
    return { watchJobRequestType: 'result', result: { id: String(id), status: status === 1 ? 'FAILED' : 'SUCCESS' } };
  } catch {
    return undefined;
  }
}
