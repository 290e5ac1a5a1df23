// Protobuf encoding of the etcd messages on the hot path, written out by hand: TxnRequest,
// RangeRequest and the WatchRequest that creates a watch out, TxnResponse, RangeResponse and WatchResponse in. @grpc/proto-loader's
// generic codec (protobufjs: fromObject, then encode; decode, then toObject with Long int64s
// turned into strings) was about 8% of a replica's CPU in a trigger burst on 3 replicas (profiled
// with node --cpu-prof), plus the garbage of its intermediate message objects; this writes the
// bytes straight from the request objects and reads the answers straight into plain ones.
//
// The output is exactly what proto-loader gives with the options etcd-client.ts loads it with
// (keepCase, longs: String, defaults: true, oneofs: true): every scalar present (int64s and
// uint64s as decimal strings, bytes as Buffers viewing the received message), absent
// sub-messages as null, oneof members only when present plus the oneof's name. The unit test
// test/unit/store-etcd/etcd-codec.test.ts holds both codecs to the same results. Field numbers:
// etcd's rpc.proto and kv.proto (the same as etcd-api.ts).

import type { Compare, KeyValue, RangeRequest, RangeResponse, RequestOp, ResponseHeader, ResponseOp, TxnRequest, TxnResponse, WatchCreateRequest, WatchEvent, WatchResponse } from './etcd-api.js';

// ---- encoding ----

const VARINT = 0;
const LEN = 2;

/** Bytes of a varint holding a non-negative safe integer. */
function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** An int64 field's value as this code sends it: a number, or a decimal string (lease ids use 64 bits). */
type Int64In = number | string | undefined;

/** The unsigned 64-bit two's complement of an int64, as a number when safe, else a bigint. */
function int64Value(value: number | string): number | bigint {
  if (typeof value === 'number') {
    if (value >= 0 && Number.isSafeInteger(value)) return value;
    return BigInt.asUintN(64, BigInt(Math.trunc(value)));
  }
  const n = BigInt(value);
  return n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : BigInt.asUintN(64, n);
}

function int64Size(value: number | bigint): number {
  if (typeof value === 'number') return varintSize(value);
  let size = 1;
  while (value >= 0x80n) {
    value >>= 7n;
    size++;
  }
  return size;
}

class Writer {
  readonly buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[this.pos++] = value;
  }

  int64(value: number | bigint): void {
    if (typeof value === 'number') {
      this.varint(value);
      return;
    }
    while (value >= 0x80n) {
      this.buf[this.pos++] = Number(value & 0x7fn) | 0x80;
      value >>= 7n;
    }
    this.buf[this.pos++] = Number(value);
  }

  bytes(field: number, value: Buffer): void {
    this.tag(field, LEN);
    this.varint(value.length);
    value.copy(this.buf, this.pos);
    this.pos += value.length;
  }
}

// Each message has a size function and a write function; a length-delimited field costs its tag
// (every field number here is below 16: one byte), its length's varint, and its body.
const lenField = (body: number): number => 1 + varintSize(body) + body;
const bytesSize = (value: Buffer | undefined): number => (value === undefined || value === null ? 0 : lenField(value.length));
const int64FieldSize = (value: Int64In): number => (value === undefined || value === null ? 0 : 1 + int64Size(int64Value(value)));
const int32FieldSize = (value: number | undefined): number => (value === undefined || value === null ? 0 : 1 + int64Size(int64Value(value)));
const boolFieldSize = (value: boolean | undefined): number => (value === undefined || value === null ? 0 : 2);

function writeInt64(w: Writer, field: number, value: Int64In): void {
  if (value === undefined || value === null) return;
  w.tag(field, VARINT);
  w.int64(int64Value(value));
}

function writeBool(w: Writer, field: number, value: boolean | undefined): void {
  if (value === undefined || value === null) return;
  w.tag(field, VARINT);
  w.varint(value ? 1 : 0);
}

function writeBytes(w: Writer, field: number, value: Buffer | undefined): void {
  if (value !== undefined && value !== null) w.bytes(field, value);
}

function rangeRequestSize(r: RangeRequest & { serializable?: boolean }): number {
  return (
    bytesSize(r.key) +
    bytesSize(r.rangeEnd) +
    int64FieldSize(r.limit) +
    int64FieldSize(r.revision) +
    int32FieldSize(r.sortOrder) +
    int32FieldSize(r.sortTarget) +
    boolFieldSize(r.serializable) +
    boolFieldSize(r.keysOnly) +
    boolFieldSize(r.countOnly)
  );
}

function writeRangeRequest(w: Writer, r: RangeRequest & { serializable?: boolean }): void {
  writeBytes(w, 1, r.key);
  writeBytes(w, 2, r.rangeEnd);
  writeInt64(w, 3, r.limit);
  writeInt64(w, 4, r.revision);
  writeInt64(w, 5, r.sortOrder);
  writeInt64(w, 6, r.sortTarget);
  writeBool(w, 7, r.serializable);
  writeBool(w, 8, r.keysOnly);
  writeBool(w, 9, r.countOnly);
}

function requestOpBodySize(op: RequestOp): { field: number; size: number } {
  if ('requestPut' in op) {
    const p = op.requestPut;
    return { field: 2, size: bytesSize(p.key) + bytesSize(p.value) + int64FieldSize(p.lease) + boolFieldSize(p.prevKv) };
  }
  if ('requestDeleteRange' in op) {
    const d = op.requestDeleteRange;
    return { field: 3, size: bytesSize(d.key) + bytesSize(d.rangeEnd) + boolFieldSize(d.prevKv) };
  }
  if ('requestRange' in op) return { field: 1, size: rangeRequestSize(op.requestRange) };
  return { field: 4, size: txnRequestSize(op.requestTxn) };
}

function writeRequestOp(w: Writer, op: RequestOp): void {
  const { field, size } = requestOpBodySize(op);
  w.tag(field, LEN);
  w.varint(size);
  if ('requestPut' in op) {
    writeBytes(w, 1, op.requestPut.key);
    writeBytes(w, 2, op.requestPut.value);
    writeInt64(w, 3, op.requestPut.lease);
    writeBool(w, 4, op.requestPut.prevKv);
  } else if ('requestDeleteRange' in op) {
    writeBytes(w, 1, op.requestDeleteRange.key);
    writeBytes(w, 2, op.requestDeleteRange.rangeEnd);
    writeBool(w, 3, op.requestDeleteRange.prevKv);
  } else if ('requestRange' in op) {
    writeRangeRequest(w, op.requestRange);
  } else {
    writeTxnRequest(w, op.requestTxn);
  }
}

function compareSize(c: Compare): number {
  return (
    int32FieldSize(c.result) +
    int32FieldSize(c.target) +
    bytesSize(c.key) +
    int64FieldSize(c.version) +
    int64FieldSize(c.createRevision) +
    int64FieldSize(c.modRevision) +
    bytesSize(c.value) +
    int64FieldSize(c.lease)
  );
}

function writeCompare(w: Writer, c: Compare): void {
  writeInt64(w, 1, c.result);
  writeInt64(w, 2, c.target);
  writeBytes(w, 3, c.key);
  writeInt64(w, 4, c.version);
  writeInt64(w, 5, c.createRevision);
  writeInt64(w, 6, c.modRevision);
  writeBytes(w, 7, c.value);
  writeInt64(w, 8, c.lease);
}

/** A RequestOp message: its one member, a length-delimited field. */
const requestOpSize = (op: RequestOp): number => lenField(requestOpBodySize(op).size);

function txnRequestSize(t: TxnRequest): number {
  let size = 0;
  for (const c of t.compare) size += lenField(compareSize(c));
  for (const op of t.success) size += lenField(requestOpSize(op));
  for (const op of t.failure) size += lenField(requestOpSize(op));
  return size;
}

/** A RequestOp as field `field` of a TxnRequest: the wrapper's tag and length, then the member (writeRequestOp). */
function writeRequestOpField(w: Writer, field: number, op: RequestOp): void {
  w.tag(field, LEN);
  w.varint(requestOpSize(op));
  writeRequestOp(w, op);
}

function writeTxnRequest(w: Writer, t: TxnRequest): void {
  for (const c of t.compare) {
    w.tag(1, LEN);
    w.varint(compareSize(c));
    writeCompare(w, c);
  }
  for (const op of t.success) writeRequestOpField(w, 2, op);
  for (const op of t.failure) writeRequestOpField(w, 3, op);
}

export function encodeTxnRequest(request: TxnRequest): Buffer {
  const w = new Writer(txnRequestSize(request));
  writeTxnRequest(w, request);
  if (w.pos !== w.buf.length) throw new Error(`etcd codec: sized ${w.buf.length} bytes, wrote ${w.pos}`);
  return w.buf;
}

export function encodeRangeRequest(request: RangeRequest): Buffer {
  const w = new Writer(rangeRequestSize(request));
  writeRangeRequest(w, request);
  if (w.pos !== w.buf.length) throw new Error(`etcd codec: sized ${w.buf.length} bytes, wrote ${w.pos}`);
  return w.buf;
}

function watchCreateSize(c: WatchCreateRequest): number {
  return bytesSize(c.key) + bytesSize(c.rangeEnd) + int64FieldSize(c.startRevision) + boolFieldSize(c.progressNotify) + boolFieldSize(c.prevKv);
}

/** A WatchRequest holding only its createRequest (field 1 of the oneof). */
export function encodeWatchCreateRequest(create: WatchCreateRequest): Buffer {
  const body = watchCreateSize(create);
  const w = new Writer(lenField(body));
  w.tag(1, LEN);
  w.varint(body);
  writeBytes(w, 1, create.key);
  writeBytes(w, 2, create.rangeEnd);
  writeInt64(w, 3, create.startRevision);
  writeBool(w, 4, create.progressNotify);
  writeBool(w, 6, create.prevKv);
  if (w.pos !== w.buf.length) throw new Error(`etcd codec: sized ${w.buf.length} bytes, wrote ${w.pos}`);
  return w.buf;
}

// ---- decoding ----

const TWO_32 = 2 ** 32;

class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** A varint as a number (exact below 2^53; the callers that may see more use int64()). */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('etcd codec: truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
      if (scale > 2 ** 63) throw new Error('etcd codec: varint too long');
    }
  }

  /** A varint as the decimal string of an int64 (signed) or a uint64. */
  int64(signed: boolean): string {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('etcd codec: truncated varint');
      const byte = this.buf[this.pos++]!;
      if (shift < 28) lo += (byte & 0x7f) * 2 ** shift;
      else if (shift === 28) {
        lo += (byte & 0x0f) * 2 ** 28;
        hi += (byte & 0x7f) >> 4;
      } else hi += (byte & 0x7f) * 2 ** (shift - 32);
      if (byte < 0x80) break;
      shift += 7;
      if (shift > 63) throw new Error('etcd codec: varint too long');
    }
    hi = hi % TWO_32;
    if (hi < 0x200000) return String(hi * TWO_32 + lo);
    // Past 2^53: exact through BigInt (negative int64s, random 64-bit ids).
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    return String(signed ? BigInt.asIntN(64, n) : n);
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  bytes(): Buffer {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw new Error('etcd codec: truncated bytes');
    return this.buf.subarray(start, this.pos);
  }

  string(): string {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw new Error('etcd codec: truncated string');
    return this.buf.toString('utf8', start, this.pos);
  }

  /** A length-delimited sub-message: a reader over it; this one moves past it. */
  sub(): Reader {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw new Error('etcd codec: truncated message');
    return new Reader(this.buf, start, this.pos);
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.pos += this.varint();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`etcd codec: unsupported wire type ${wire}`);
  }
}

const EMPTY = Buffer.alloc(0);

function decodeHeader(r: Reader): ResponseHeader {
  const h = { clusterId: '0', memberId: '0', revision: '0', raftTerm: '0' };
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | VARINT:
        h.clusterId = r.int64(false);
        break;
      case (2 << 3) | VARINT:
        h.memberId = r.int64(false);
        break;
      case (3 << 3) | VARINT:
        h.revision = r.int64(true);
        break;
      case (4 << 3) | VARINT:
        h.raftTerm = r.int64(false);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return h;
}

function decodeKeyValue(r: Reader): KeyValue {
  const kv: KeyValue = { key: EMPTY, createRevision: '0', modRevision: '0', version: '0', value: EMPTY, lease: '0' };
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN:
        kv.key = r.bytes();
        break;
      case (2 << 3) | VARINT:
        kv.createRevision = r.int64(true);
        break;
      case (3 << 3) | VARINT:
        kv.modRevision = r.int64(true);
        break;
      case (4 << 3) | VARINT:
        kv.version = r.int64(true);
        break;
      case (5 << 3) | LEN:
        kv.value = r.bytes();
        break;
      case (6 << 3) | VARINT:
        kv.lease = r.int64(true);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return kv;
}

function decodeRange(r: Reader): RangeResponse {
  const out: RangeResponse = { header: null as unknown as ResponseHeader, kvs: [], more: false, count: '0' };
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN:
        out.header = decodeHeader(r.sub());
        break;
      case (2 << 3) | LEN:
        out.kvs.push(decodeKeyValue(r.sub()));
        break;
      case (3 << 3) | VARINT:
        out.more = r.bool();
        break;
      case (4 << 3) | VARINT:
        out.count = r.int64(true);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return out;
}

/** PutResponse: a header, and the value before the put when it asked for it. */
function decodePutResponse(r: Reader): NonNullable<ResponseOp['responsePut']> {
  const out: NonNullable<ResponseOp['responsePut']> = { header: null as unknown as ResponseHeader, prevKv: null };
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) out.header = decodeHeader(r.sub());
    else if (tag === ((2 << 3) | LEN)) out.prevKv = decodeKeyValue(r.sub());
    else r.skip(tag & 7);
  }
  return out;
}

/** The prevKvs of a delete that asked for none (nearly all: a commit deletes index keys): one array shared, none made per answer. */
const NO_KVS: readonly KeyValue[] = Object.freeze([]);

/** DeleteRangeResponse: a header, the count deleted, and what was deleted when it asked for it. */
function decodeDeleteResponse(r: Reader): NonNullable<ResponseOp['responseDeleteRange']> {
  const out: NonNullable<ResponseOp['responseDeleteRange']> = { header: null as unknown as ResponseHeader, deleted: '0', prevKvs: NO_KVS };
  let prevKvs: KeyValue[] | undefined;
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | LEN)) out.header = decodeHeader(r.sub());
    else if (tag === ((2 << 3) | VARINT)) out.deleted = r.int64(true);
    else if (tag === ((3 << 3) | LEN)) (prevKvs ??= []).push(decodeKeyValue(r.sub()));
    else r.skip(tag & 7);
  }
  if (prevKvs) out.prevKvs = prevKvs;
  return out;
}

const RESPONSE_OPS = ['responseRange', 'responsePut', 'responseDeleteRange', 'responseTxn'] as const;

function decodeResponseOp(r: Reader): ResponseOp {
  const op = {} as ResponseOp;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = tag >>> 3;
    if ((tag & 7) !== LEN || field < 1 || field > 4) {
      r.skip(tag & 7);
      continue;
    }
    const sub = r.sub();
    // A oneof: a later member replaces an earlier one.
    for (const name of RESPONSE_OPS) delete op[name];
    const name = RESPONSE_OPS[field - 1]!;
    if (field === 1) op.responseRange = decodeRange(sub);
    else if (field === 2) op.responsePut = decodePutResponse(sub);
    else if (field === 3) op.responseDeleteRange = decodeDeleteResponse(sub);
    else op.responseTxn = decodeTxn(sub);
    op.response = name;
  }
  return op;
}

function decodeTxn(r: Reader): TxnResponse {
  const out: TxnResponse = { header: null as unknown as ResponseHeader, succeeded: false, responses: [] };
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN:
        out.header = decodeHeader(r.sub());
        break;
      case (2 << 3) | VARINT:
        out.succeeded = r.bool();
        break;
      case (3 << 3) | LEN:
        out.responses.push(decodeResponseOp(r.sub()));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return out;
}

function decodeEvent(r: Reader): WatchEvent {
  const event: WatchEvent = { type: 0, kv: null as unknown as KeyValue, prevKv: null };
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | VARINT:
        event.type = r.varint();
        break;
      case (2 << 3) | LEN:
        event.kv = decodeKeyValue(r.sub());
        break;
      case (3 << 3) | LEN:
        event.prevKv = decodeKeyValue(r.sub());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return event;
}

export function decodeTxnResponse(bytes: Buffer): TxnResponse {
  return decodeTxn(new Reader(bytes));
}

export function decodeRangeResponse(bytes: Buffer): RangeResponse {
  return decodeRange(new Reader(bytes));
}

export function decodeWatchResponse(bytes: Buffer): WatchResponse {
  const r = new Reader(bytes);
  const out: WatchResponse & { fragment: boolean } = {
    header: null as unknown as ResponseHeader,
    watchId: '0',
    created: false,
    canceled: false,
    compactRevision: '0',
    cancelReason: '',
    fragment: false,
    events: [],
  };
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | LEN:
        out.header = decodeHeader(r.sub());
        break;
      case (2 << 3) | VARINT:
        out.watchId = r.int64(true);
        break;
      case (3 << 3) | VARINT:
        out.created = r.bool();
        break;
      case (4 << 3) | VARINT:
        out.canceled = r.bool();
        break;
      case (5 << 3) | VARINT:
        out.compactRevision = r.int64(true);
        break;
      case (6 << 3) | LEN:
        out.cancelReason = r.string();
        break;
      case (7 << 3) | VARINT:
        out.fragment = r.bool();
        break;
      case (11 << 3) | LEN:
        out.events.push(decodeEvent(r.sub()));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return out;
}
