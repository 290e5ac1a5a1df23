// WatchJobsResponse (one trigger down a WatchJobs stream) encoded and decoded by hand: the
// server sends one per trigger and the SDK reads one per trigger, so a burst of 20,000 pays the
// generic protobufjs path (fromObject, encode, decode, toObject) 20,000 times on each side. The
// bytes are exactly protobufjs's for the same message (fields in number order, empty strings
// written, map entries in key order), test/unit/grpc/watch-jobs-wire.test.ts checks it; so a Dapr
// sidecar reads them as before.
//
//   WatchJobsResponse { name = 1; id = 2 (uint64); data = 3 (Any); metadata = 4 (JobMetadata);
//                       trace_context = 1000 (map<string, string>) }
//   Any { type_url = 1; value = 2 }   JobMetadata { app_id = 1; namespace = 2; target = 3 }
//   JobTargetMetadata { oneof { TargetJob job = 1; TargetActorReminder actor = 2 } }
//   TargetActorReminder { id = 1; type = 2 }

import { delimitedSize, varintSize, WireReader, writeBytes, writeString, writeVarint } from './wire-bytes.js';

/** What one trigger message says; `id` below 2^53. */
export interface WatchJobsResponseFields {
  name: string;
  id: number;
  data?: { type_url: string; value: Uint8Array } | undefined;
  appId: string;
  namespace: string;
  /** An actor reminder's actor; absent: the app's own job (target job {}). */
  actor?: { type: string; id: string } | undefined;
  traceContext?: Record<string, string> | undefined;
}

/** The message as proto-loader renders it with the SDK's LOADER_OPTIONS (what decode returns). */
export interface DecodedWatchJobsResponse {
  name: string;
  id: string;
  data: { type_url: string; value: Buffer } | null;
  metadata: { appId: string; namespace: string; target: { job?: Record<string, never>; actor?: { id: string; type: string }; type?: 'job' | 'actor' } | null } | null;
  traceContext: Record<string, string>;
}

// Tags: field number * 8 + wire type (0 varint, 2 length-delimited).
const NAME = 0x0a;
const ID = 0x10;
const DATA = 0x1a;
const METADATA = 0x22;
const TRACE_CONTEXT = 1000 * 8 + 2;
const FIRST = 0x0a; // field 1, length-delimited: Any.type_url, JobMetadata.app_id, map key, ...
const SECOND = 0x12; // field 2, length-delimited
const THIRD = 0x1a;
const TARGET_JOB = Buffer.from([0x0a, 0x00]); // JobTargetMetadata{ job: {} }
/** gRPC's message header on an HTTP/2 stream: a compressed flag and a 4-byte big-endian length. */
export const GRPC_HEADER_BYTES = 5;

// The metadata of an app's own job is the same for every trigger of the app: encoded once.
let cachedMetadata: { appId: string; namespace: string; bytes: Buffer } | undefined;

/**
 * Where encodeWatchJobsResponseInto writes: a buffer shared by many messages (the server's batch
 * of one turn's triggers, written to the HTTP/2 stream at once).
 */
export interface MessageBatch {
  /** Room for `bytes` more bytes: their offset in `buffer` (which may be a new one after this call). */
  reserve(bytes: number): number;
  readonly buffer: Buffer;
}

/**
 * The message's bytes; `framed`: preceded by gRPC's 5-byte message header (not compressed, the
 * length big-endian), ready for the HTTP/2 stream without another buffer and copy.
 */
export function encodeWatchJobsResponse(fields: WatchJobsResponseFields, framed = false): Buffer {
  const size = measure(fields);
  const out = Buffer.allocUnsafe((framed ? GRPC_HEADER_BYTES : 0) + size);
  writeMeasured(out, 0, fields, size, framed);
  return out;
}

/**
 * The message framed (gRPC's 5-byte header, then the bytes encodeWatchJobsResponse writes),
 * written into the batch: no Buffer of its own per message. Answers its framed length.
 */
export function encodeWatchJobsResponseInto(fields: WatchJobsResponseFields, batch: MessageBatch): number {
  const size = measure(fields);
  const at = batch.reserve(GRPC_HEADER_BYTES + size);
  writeMeasured(batch.buffer, at, fields, size, true);
  return GRPC_HEADER_BYTES + size;
}

/** What measure() found, for the writeMeasured() right after it (encoding never re-enters). */
const measured: { nameLength: number; typeUrlLength: number; anyLength: number; metadata: Buffer; trace: string[] | undefined } = { nameLength: 0, typeUrlLength: 0, anyLength: 0, metadata: TARGET_JOB, trace: undefined };

/** The message's size without the gRPC header; its parts' lengths are left in `measured`. */
function measure(fields: WatchJobsResponseFields): number {
  const nameLength = Buffer.byteLength(fields.name);
  const metadata = metadataBytes(fields);
  let size = delimitedSize(nameLength) + 1 + varintSize(fields.id) + delimitedSize(metadata.length);
  let typeUrlLength = 0;
  let anyLength = 0;
  if (fields.data) {
    typeUrlLength = Buffer.byteLength(fields.data.type_url);
    anyLength = delimitedSize(typeUrlLength) + delimitedSize(fields.data.value.length);
    size += delimitedSize(anyLength);
  }
  const trace = fields.traceContext ? Object.keys(fields.traceContext) : undefined;
  if (trace) for (const key of trace) size += 1 + delimitedSize(entrySize(key, fields.traceContext![key]!));
  measured.nameLength = nameLength;
  measured.typeUrlLength = typeUrlLength;
  measured.anyLength = anyLength;
  measured.metadata = metadata;
  measured.trace = trace;
  return size;
}

/** Writes the message measure() just sized at `start` of `out` (framed: the gRPC header first). */
function writeMeasured(out: Buffer, start: number, fields: WatchJobsResponseFields, size: number, framed: boolean): void {
  const { nameLength, typeUrlLength, anyLength, metadata, trace } = measured;
  let at = start;
  if (framed) {
    out[at] = 0;
    out.writeUInt32BE(size, at + 1);
    at += GRPC_HEADER_BYTES;
  }
  at = writeString(out, at, NAME, fields.name, nameLength);
  out[at++] = ID;
  at = writeVarint(out, at, fields.id);
  if (fields.data) {
    out[at++] = DATA;
    at = writeVarint(out, at, anyLength);
    at = writeString(out, at, FIRST, fields.data.type_url, typeUrlLength);
    at = writeBytes(out, at, SECOND, fields.data.value);
  }
  at = writeBytes(out, at, METADATA, metadata);
  if (trace) {
    for (const key of trace) {
      const value = fields.traceContext![key]!;
      at = writeVarint(out, at, TRACE_CONTEXT);
      at = writeVarint(out, at, entrySize(key, value));
      at = writeString(out, at, FIRST, key, Buffer.byteLength(key));
      at = writeString(out, at, SECOND, value, Buffer.byteLength(value));
    }
  }
}

function metadataBytes(fields: WatchJobsResponseFields): Buffer {
  const { appId, namespace, actor } = fields;
  if (!actor && cachedMetadata?.appId === appId && cachedMetadata.namespace === namespace) return cachedMetadata.bytes;
  let target = TARGET_JOB;
  if (actor) {
    const reminder = Buffer.allocUnsafe(delimitedSize(Buffer.byteLength(actor.id)) + delimitedSize(Buffer.byteLength(actor.type)));
    writeString(reminder, writeString(reminder, 0, FIRST, actor.id, Buffer.byteLength(actor.id)), SECOND, actor.type, Buffer.byteLength(actor.type));
    target = Buffer.allocUnsafe(delimitedSize(reminder.length));
    writeBytes(target, 0, SECOND, reminder);
  }
  const appIdLength = Buffer.byteLength(appId);
  const namespaceLength = Buffer.byteLength(namespace);
  const bytes = Buffer.allocUnsafe(delimitedSize(appIdLength) + delimitedSize(namespaceLength) + delimitedSize(target.length));
  writeBytes(bytes, writeString(bytes, writeString(bytes, 0, FIRST, appId, appIdLength), SECOND, namespace, namespaceLength), THIRD, target);
  if (!actor) cachedMetadata = { appId, namespace, bytes };
  return bytes;
}

function entrySize(key: string, value: string): number {
  return delimitedSize(Buffer.byteLength(key)) + delimitedSize(Buffer.byteLength(value));
}

const EMPTY = Buffer.alloc(0);

/**
 * Decodes a WatchJobsResponse into proto-loader's shape. Unknown fields are skipped, as any
 * protobuf reader does; throws on malformed bytes or an id of 2^53 or more, where the caller
 * falls back to the generic decoder. A message field that occurs twice is replaced by the later
 * one, as protobufjs's decoder does, and of the target oneof the later member wins.
 *
 * `data.value` is a view of `bytes`, as protobufjs's is: copy it to keep it. The metadata of
 * consecutive triggers of one app is the same bytes: it is decoded once and the same object is
 * returned for each (read-only: the SDK copies what it hands on).
 */
export function decodeWatchJobsResponse(bytes: Buffer): DecodedWatchJobsResponse {
  const reader = new WireReader(bytes);
  const message: DecodedWatchJobsResponse = { name: '', id: '0', data: null, metadata: null, traceContext: {} };
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === NAME) message.name = reader.string();
    else if (tag === ID) message.id = exactId(reader.varint());
    else if (tag === DATA) message.data = readAny(reader);
    else if (tag === METADATA) message.metadata = sameMetadata(reader) ?? readMetadata(reader);
    else if (tag === TRACE_CONTEXT) readEntry(reader, message.traceContext);
    else reader.skip(tag & 7);
  }
  return message;
}

/** Ids of 2^53 or more lose digits as numbers: the generic decoder (longs as String) reads those. */
function exactId(value: number): string {
  if (value >= 2 ** 53) throw new Error('an id of 2^53 or more');
  return String(value);
}

type Any = NonNullable<DecodedWatchJobsResponse['data']>;
type Metadata = NonNullable<DecodedWatchJobsResponse['metadata']>;
type Target = NonNullable<Metadata['target']>;
type Actor = NonNullable<Target['actor']>;

function readAny(reader: WireReader): Any {
  const any: Any = { type_url: '', value: EMPTY };
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === FIRST) any.type_url = reader.string();
    else if (tag === SECOND) any.value = reader.bytesView();
    else reader.skip(tag & 7);
  }
  reader.leave(outer);
  return any;
}

let lastMetadata: { bytes: Buffer; decoded: Metadata } | undefined;

/** The metadata decoded last, when the field at the reader holds the same bytes (then read past). */
function sameMetadata(reader: WireReader): Metadata | undefined {
  if (!lastMetadata) return undefined;
  const { bytes } = reader;
  const start = reader.at;
  const length = lastMetadata.bytes.length;
  // A one-byte length (< 128) in front: anything longer is decoded afresh.
  if (bytes[start] !== length || start + 1 + length > reader.end) return undefined;
  if (lastMetadata.bytes.compare(bytes, start + 1, start + 1 + length) !== 0) return undefined;
  reader.at = start + 1 + length;
  return lastMetadata.decoded;
}

function readMetadata(reader: WireReader): Metadata {
  const start = reader.at;
  const metadata: Metadata = { appId: '', namespace: '', target: null };
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === FIRST) metadata.appId = reader.string();
    else if (tag === SECOND) metadata.namespace = reader.string();
    else if (tag === THIRD) metadata.target = readTarget(reader);
    else reader.skip(tag & 7);
  }
  reader.leave(outer);
  const length = reader.at - start - 1;
  if (reader.bytes[start] === length && length < 0x80) lastMetadata = { bytes: Buffer.from(reader.bytes.subarray(start + 1, reader.at)), decoded: metadata };
  return metadata;
}

function readTarget(reader: WireReader): Target {
  let target: Target = {};
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === FIRST) {
      reader.skip(2); // TargetJob has no fields
      target = { job: {}, type: 'job' };
    } else if (tag === SECOND) {
      target = { actor: readActor(reader), type: 'actor' };
    } else reader.skip(tag & 7);
  }
  reader.leave(outer);
  return target;
}

function readActor(reader: WireReader): Actor {
  const actor: Actor = { id: '', type: '' };
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === FIRST) actor.id = reader.string();
    else if (tag === SECOND) actor.type = reader.string();
    else reader.skip(tag & 7);
  }
  reader.leave(outer);
  return actor;
}

function readEntry(reader: WireReader, map: Record<string, string>): void {
  let key = '';
  let value = '';
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === FIRST) key = reader.string();
    else if (tag === SECOND) value = reader.string();
    else reader.skip(tag & 7);
  }
  reader.leave(outer);
  // defineProperty: a "__proto__" key stays an ordinary key instead of changing the prototype.
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}
