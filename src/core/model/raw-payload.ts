// What a raw (gRPC, non-JSON) payload stands for where a JSON body must carry it: the actor
// `remind` call's {"data": ...}. A Dapr sidecar hands reminder data to its scheduler as a
// google.protobuf.BytesValue (or StringValue) holding JSON; that JSON is the data. Anything else
// travels as the base64 of its bytes, as Dapr's JSON shows bytes.

import type { RawPayload } from './job.js';

const WRAPPERS = new Set(['type.googleapis.com/google.protobuf.BytesValue', 'type.googleapis.com/google.protobuf.StringValue']);

export function rawPayloadAsJson(raw: RawPayload): unknown {
  const bytes = Buffer.from(raw.value, 'base64');
  if (!WRAPPERS.has(raw.typeUrl)) return bytes.toString('base64');
  const inner = wrappedBytes(bytes);
  if (inner === undefined) return bytes.toString('base64');
  const text = inner.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return raw.typeUrl.endsWith('StringValue') ? text : inner.toString('base64');
  }
}

/** Field 1 (length-delimited) of a wrapper message; empty for an empty message; undefined when malformed. */
function wrappedBytes(message: Buffer): Buffer | undefined {
  if (message.length === 0) return Buffer.alloc(0);
  if (message[0] !== 0x0a) return undefined;
  let length = 0;
  let shift = 0;
  let at = 1;
  for (; at < message.length && at < 6; at++) {
    const byte = message[at]!;
    length |= (byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) === 0) break;
  }
  const start = at + 1;
  return start + length === message.length ? message.subarray(start) : undefined;
}
