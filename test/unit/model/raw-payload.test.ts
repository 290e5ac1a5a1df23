import { create, toBinary } from '@bufbuild/protobuf';
import { BytesValueSchema, StringValueSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { rawPayloadAsJson } from '../../../src/core/model/raw-payload.js';

const BYTES = 'type.googleapis.com/google.protobuf.BytesValue';
const STRING = 'type.googleapis.com/google.protobuf.StringValue';
const raw = (typeUrl: string, bytes: Uint8Array) => ({ typeUrl, value: Buffer.from(bytes).toString('base64') });
const bytesValue = (content: Buffer) => toBinary(BytesValueSchema, create(BytesValueSchema, { value: content }));

describe('rawPayloadAsJson', () => {
  it('reads the JSON a BytesValue holds, as a Dapr sidecar sends reminder data', () => {
    expect(rawPayloadAsJson(raw(BYTES, bytesValue(Buffer.from('{"n":7,"s":"x"}'))))).toEqual({ n: 7, s: 'x' });
    // a length needing a two-byte varint
    const long = JSON.stringify({ text: 'y'.repeat(300) });
    expect(rawPayloadAsJson(raw(BYTES, bytesValue(Buffer.from(long))))).toEqual(JSON.parse(long));
  });

  it('gives the base64 of bytes that are not JSON, and of an unknown message', () => {
    expect(rawPayloadAsJson(raw(BYTES, bytesValue(Buffer.from([0xff, 0x00, 0x01]))))).toBe(Buffer.from([0xff, 0x00, 0x01]).toString('base64'));
    expect(rawPayloadAsJson(raw('type.googleapis.com/acme.Thing', Buffer.from([1, 2, 3])))).toBe('AQID');
  });

  it('a StringValue is its JSON, or else its text', () => {
    expect(rawPayloadAsJson(raw(STRING, toBinary(StringValueSchema, create(StringValueSchema, { value: '[1,2]' }))))).toEqual([1, 2]);
    expect(rawPayloadAsJson(raw(STRING, toBinary(StringValueSchema, create(StringValueSchema, { value: 'plain' }))))).toBe('plain');
  });

  it('an empty wrapper is an empty value; a malformed one falls back to its base64', () => {
    expect(rawPayloadAsJson(raw(STRING, new Uint8Array()))).toBe('');
    expect(rawPayloadAsJson(raw(BYTES, Buffer.from([0x0a, 0x05, 0x01])))).toBe(Buffer.from([0x0a, 0x05, 0x01]).toString('base64'));
  });
});
