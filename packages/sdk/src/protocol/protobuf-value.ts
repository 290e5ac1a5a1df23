// google.protobuf.Value <-> JSON, by hand (the message is small and fixed). A job's JSON payload
// travels over gRPC as Any{type.googleapis.com/google.protobuf.Value, <these bytes>}, as Dapr
// stores HTTP payloads (docs/grpc.md, "Payloads"). Pure: the SDK imports it too.

import { varintSize, WireReader, writeVarint } from './wire-bytes.js';

export const VALUE_TYPE_URL = 'type.googleapis.com/google.protobuf.Value';

// Value: null_value = 1, number_value = 2, string_value = 3, bool_value = 4, struct_value = 5,
// list_value = 6. Struct: map<string, Value> fields = 1 (entries {key = 1, value = 2}).
// ListValue: repeated Value values = 1.

/**
 * Deepest nesting of objects and arrays encodeValue takes; deeper data throws a RangeError, as
 * the stack overflow of the recursive encoder before it did (at 1,000 to 1,500 levels, depending
 * on the stack). Well inside what protobuf readers take: Go's default recursion limit of 10,000
 * messages is ~3,300 levels of JSON (three messages per level). --max-data-depth is 32 by default.
 */
export const MAX_ENCODED_DEPTH = 1_000;

/** Encodes a JSON value (as JSON.parse returns) as a google.protobuf.Value. */
export function encodeValue(value: unknown): Buffer {
  const view = encodeValueView(value);
  const encoded = Buffer.allocUnsafe(view.length);
  view.copy(encoded);
  return encoded;
}

/**
 * encodeValue's bytes as a view of the encoder's scratch buffer, valid until the next encoding:
 * for a caller that copies them at once (a WatchJobs trigger written into its batch), no Buffer
 * and copy of their own.
 */
export function encodeValueView(value: unknown): Buffer {
  // One scratch buffer for every call (encoding never re-enters), grown as payloads need.
  const out = scratch;
  if (out.buffer.length > SCRATCH_KEEP_BYTES) out.buffer = Buffer.allocUnsafeSlow(SCRATCH_BYTES); // the last huge payload's memory is not kept
  out.at = 0;
  writeValue(out, value, 0);
  return out.buffer.subarray(0, out.at);
}

/** Decodes a google.protobuf.Value into a JSON value; throws on bytes that are not one. */
export function decodeValue(bytes: Uint8Array): unknown {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readValue(new WireReader(buffer));
}

// Encoding is one pass into a growing scratch buffer: each nested message reserves one byte for
// its length, and the rare one of 128 bytes or more moves its bytes up to make room for a longer
// varint. One payload is encoded per trigger sent over WatchJobs, so this stays cheap: no chunk
// lists, no per-level Buffers (the ProtoWriter it replaced cost ~5 us per small payload).
class Output {
  buffer = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  at = 0;

  ensure(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.at++] = value;
  }

  /** Starts a length-delimited field; returns where its length goes, for end(). */
  start(tag: number): number {
    this.ensure(2);
    this.buffer[this.at++] = tag;
    return this.at++;
  }

  end(lengthAt: number): void {
    const length = this.at - lengthAt - 1;
    if (length < 0x80) {
      this.buffer[lengthAt] = length;
      return;
    }
    const extra = varintSize(length) - 1;
    this.ensure(extra);
    this.buffer.copyWithin(lengthAt + 1 + extra, lengthAt + 1, this.at);
    this.at += extra;
    writeVarint(this.buffer, lengthAt, length);
  }

  string(tag: number, text: string): void {
    const lengthAt = this.start(tag);
    this.ensure(text.length * 3);
    this.at += this.buffer.write(text, this.at, 'utf8');
    this.end(lengthAt);
  }
}

const SCRATCH_BYTES = 4096;
const SCRATCH_KEEP_BYTES = 64 * 1024;
const scratch = new Output();

function writeValue(out: Output, value: unknown, depth: number): void {
  if (value === null || value === undefined) {
    out.byte(0x08); // null_value = 1, varint 0
    out.byte(0);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} is not a JSON number`);
    out.ensure(9);
    out.buffer[out.at++] = 0x11; // number_value = 2, fixed64
    out.at = out.buffer.writeDoubleLE(value, out.at);
  } else if (typeof value === 'string') out.string(0x1a, value); // string_value = 3
  else if (typeof value === 'boolean') {
    out.byte(0x20); // bool_value = 4, varint
    out.byte(value ? 1 : 0);
  } else if (typeof value === 'object' && depth >= MAX_ENCODED_DEPTH) {
    throw new RangeError(`data nested more than ${MAX_ENCODED_DEPTH} levels deep cannot be encoded`);
  } else if (Array.isArray(value)) {
    const list = out.start(0x32); // list_value = 6
    for (const item of value) {
      const entry = out.start(0x0a); // ListValue.values = 1
      writeValue(out, item === undefined ? null : item, depth + 1);
      out.end(entry);
    }
    out.end(list);
  } else if (typeof value === 'object') {
    const struct = out.start(0x2a); // struct_value = 5
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue; // as JSON.stringify
      const entry = out.start(0x0a); // Struct.fields = 1, map entry {key = 1, value = 2}
      out.string(0x0a, key);
      const inner = out.start(0x12);
      writeValue(out, item, depth + 1);
      out.end(inner);
      out.end(entry);
    }
    out.end(struct);
  } else {
    throw new Error(`a ${typeof value} is not a JSON value`);
  }
}

function readValue(reader: WireReader): unknown {
  // A oneof: the last member on the wire wins, as protobuf parsers do.
  let result: unknown = null;
  while (!reader.done) {
    const tag = reader.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 0) throw new Error('field number 0');
    if (tag === 0x08) {
      reader.varint();
      result = null;
    } else if (tag === 0x11) result = reader.double();
    else if (tag === 0x1a) result = reader.string();
    else if (tag === 0x20) result = reader.varint() !== 0;
    else if (tag === 0x2a) result = readStruct(reader);
    else if (tag === 0x32) result = readList(reader);
    else if (field <= 6) throw new Error(`google.protobuf.Value field ${field} has the wrong wire type`);
    else reader.skip(wireType);
  }
  return result;
}

function readList(reader: WireReader): unknown[] {
  const list: unknown[] = [];
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.varint();
    if (tag === 0x0a) {
      const item = reader.enter();
      list.push(readValue(reader));
      reader.leave(item);
    } else reader.skip(tag & 7);
  }
  reader.leave(outer);
  return list;
}

function readStruct(reader: WireReader): Record<string, unknown> {
  const struct: Record<string, unknown> = {};
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.varint();
    if (tag !== 0x0a) {
      reader.skip(tag & 7);
      continue;
    }
    const entry = reader.enter();
    let key = '';
    let value: unknown = null;
    while (!reader.done) {
      const inner = reader.varint();
      if (inner === 0x0a) key = reader.string();
      else if (inner === 0x12) {
        const item = reader.enter();
        value = readValue(reader);
        reader.leave(item);
      } else reader.skip(inner & 7);
    }
    reader.leave(entry);
    // defineProperty: a "__proto__" key stays an ordinary key instead of changing the prototype.
    if (key === '__proto__') Object.defineProperty(struct, key, { value, enumerable: true, writable: true, configurable: true });
    else struct[key] = value;
  }
  reader.leave(outer);
  return struct;
}
