// google.protobuf.Value <-> JSON, by hand (the message is small and fixed). A job's JSON payload
// travels over gRPC as Any{type.googleapis.com/google.protobuf.Value, <these bytes>}, as Dapr
// stores HTTP payloads (docs/grpc.md, "Payloads"). Pure: the SDK imports it too.

import { ProtoWriter, readFields, type ProtoField } from './protobuf-wire.js';

export const VALUE_TYPE_URL = 'type.googleapis.com/google.protobuf.Value';

// Value: null_value = 1, number_value = 2, string_value = 3, bool_value = 4, struct_value = 5,
// list_value = 6. Struct: map<string, Value> fields = 1 (entries {key = 1, value = 2}).
// ListValue: repeated Value values = 1.

/** Encodes a JSON value (as JSON.parse returns) as a google.protobuf.Value. */
export function encodeValue(value: unknown): Buffer {
  const writer = new ProtoWriter();
  writeValue(writer, value);
  return writer.finish();
}

/** Decodes a google.protobuf.Value into a JSON value; throws on bytes that are not one. */
export function decodeValue(bytes: Uint8Array): unknown {
  return readValue(readFields(bytes));
}

function writeValue(writer: ProtoWriter, value: unknown): void {
  if (value === null || value === undefined) writer.varint(1, 0);
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} is not a JSON number`);
    writer.double(2, value);
  } else if (typeof value === 'string') writer.string(3, value);
  else if (typeof value === 'boolean') writer.varint(4, value ? 1 : 0);
  else if (Array.isArray(value)) {
    writer.message(6, (list) => {
      for (const item of value) list.message(1, (inner) => writeValue(inner, item === undefined ? null : item));
    });
  } else if (typeof value === 'object') {
    writer.message(5, (struct) => {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (item === undefined) continue; // as JSON.stringify
        struct.message(1, (entry) => entry.string(1, key).message(2, (inner) => writeValue(inner, item)));
      }
    });
  } else {
    throw new Error(`a ${typeof value} is not a JSON value`);
  }
}

function readValue(fields: ProtoField[]): unknown {
  // A oneof: the last member on the wire wins, as protobuf parsers do.
  let result: unknown = null;
  for (const f of fields) {
    if (f.field === 1 && f.wireType === 0) result = null;
    else if (f.field === 2 && f.wireType === 1) result = f.value.readDoubleLE(0);
    else if (f.field === 3 && f.wireType === 2) result = f.value.toString('utf8');
    else if (f.field === 4 && f.wireType === 0) result = f.value !== 0;
    else if (f.field === 5 && f.wireType === 2) result = readStruct(f.value);
    else if (f.field === 6 && f.wireType === 2) result = readFields(f.value).filter((item) => item.field === 1 && item.wireType === 2).map((item) => readValue(readFields(item.value as Buffer)));
    else if (f.field <= 6) throw new Error(`google.protobuf.Value field ${f.field} has the wrong wire type`);
  }
  return result;
}

function readStruct(bytes: Buffer): Record<string, unknown> {
  const struct: Record<string, unknown> = {};
  for (const entry of readFields(bytes)) {
    if (entry.field !== 1 || entry.wireType !== 2) continue;
    let key = '';
    let value: unknown = null;
    for (const f of readFields(entry.value)) {
      if (f.field === 1 && f.wireType === 2) key = f.value.toString('utf8');
      else if (f.field === 2 && f.wireType === 2) value = readValue(readFields(f.value));
    }
    // defineProperty: a "__proto__" key stays an ordinary key instead of changing the prototype.
    Object.defineProperty(struct, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return struct;
}
