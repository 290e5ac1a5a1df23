// Our hand-written google.protobuf.Value codec against protobufjs's (the implementation
// @grpc/proto-loader uses), in both directions.

import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, encodeValueView } from '@duetime/sdk/protocol';
import { MAX_ENCODED_DEPTH } from '../../../packages/sdk/src/protocol/protobuf-value.js';

const root = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/struct.proto')!);
const Value = root.lookupType('google.protobuf.Value');

/** protobufjs's JSON mapping for Value: a plain JSON value. */
const theirEncode = (json: unknown): Uint8Array => Value.encode(Value.fromObject(toValueObject(json))).finish();
const theirDecode = (bytes: Uint8Array): unknown => fromValueObject(Value.toObject(Value.decode(bytes), { oneofs: true }));

const samples: unknown[] = [
  null,
  0,
  -1.5,
  2 ** 53,
  1e-300,
  '',
  'héllo ✓',
  true,
  false,
  [],
  {},
  [1, 'two', null, true, { three: [3] }],
  { report: 'sales', pages: 3, nested: { deep: { deeper: [null, { a: '' }] } }, empty: {} },
  { 'a key with spaces': 1, 'ünïcode': 'x' },
  // nested lengths of 128 bytes and more (two- and three-byte length varints)
  { big: 'x'.repeat(200), list: Array.from({ length: 100 }, (_, i) => ({ i, s: 'yy' })), deeper: { s: 'ü'.repeat(5_000) } },
  'z'.repeat(20_000),
];

describe('google.protobuf.Value codec', () => {
  it.each(samples.map((s) => [JSON.stringify(s), s]))('%s round-trips through our codec', (_label, value) => {
    expect(decodeValue(encodeValue(value))).toEqual(value);
  });

  it.each(samples.map((s) => [JSON.stringify(s), s]))('%s: protobufjs reads what we write, and we read what it writes', (_label, value) => {
    expect(theirDecode(encodeValue(value))).toEqual(value);
    expect(decodeValue(theirEncode(value))).toEqual(value);
  });

  it.each(samples.map((s) => [JSON.stringify(s).slice(0, 60), s]))('%s: the bytes protobufjs writes', (_label, value) => {
    expect(encodeValue(value).equals(Buffer.from(theirEncode(value)))).toBe(true);
  });

  it('encodeValueView: the same bytes as a view of the scratch buffer; encodeValue\'s own survive the next encoding', () => {
    const kept = encodeValue({ a: 'first' });
    const view = encodeValueView({ a: 'first' });
    expect(view.toString('hex')).toBe(kept.toString('hex'));
    encodeValueView({ b: 'x'.repeat(100_000) }); // a large payload, then the scratch buffer is replaced
    encodeValueView([1, 2, 3]);
    expect(decodeValue(kept)).toEqual({ a: 'first' });
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const decoded = decodeValue(encodeValue(value)) as Record<string, unknown>;
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`encodes data ${MAX_ENCODED_DEPTH} levels deep and refuses deeper with a RangeError (not a stack overflow)`, () => {
    const nest = (levels: number): unknown => {
      let value: unknown = 1;
      for (let i = 0; i < levels; i++) value = i % 2 ? { a: value } : [value];
      return value;
    };
    expect(decodeValue(encodeValue(nest(MAX_ENCODED_DEPTH)))).toEqual(nest(MAX_ENCODED_DEPTH));
    expect(() => encodeValue(nest(MAX_ENCODED_DEPTH + 1))).toThrow(RangeError);
    expect(() => encodeValue(nest(100_000))).toThrow(RangeError);
  });

  it('skips undefined object members as JSON.stringify does', () => {
    expect(decodeValue(encodeValue({ a: 1, b: undefined }))).toEqual({ a: 1 });
  });

  it('rejects bytes that are not a Value', () => {
    expect(() => decodeValue(Buffer.from([0x1a, 0x05, 0x61]))).toThrow(/truncated/);
    expect(() => decodeValue(Buffer.from([0x10, 0x01]))).toThrow(/wrong wire type/);
  });
});

function toValueObject(json: unknown): Record<string, unknown> {
  if (json === null) return { nullValue: 0 };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(toValueObject) } };
  return { structValue: { fields: Object.fromEntries(Object.entries(json as object).map(([k, v]) => [k, toValueObject(v)])) } };
}

function fromValueObject(object: Record<string, unknown>): unknown {
  switch (object.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
    case 'stringValue':
    case 'boolValue':
      return object[object.kind as string];
    case 'listValue':
      return ((object.listValue as { values?: Array<Record<string, unknown>> }).values ?? []).map(fromValueObject);
    case 'structValue':
      return Object.fromEntries(
        Object.entries((object.structValue as { fields?: Record<string, Record<string, unknown>> }).fields ?? {}).map(([k, v]) => [k, fromValueObject(v)]),
      );
    default:
      return null;
  }
}
