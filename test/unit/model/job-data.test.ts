// The data limits checked when a job or reminder is written (core/model/job-data.ts).

import { describe, expect, it } from 'vitest';
import { DuetimeError, InvalidRequestError } from '../../../src/core/errors.js';
import { checkJobData, DEFAULT_DATA_LIMITS, exceedsDepth, jsonBytesBound } from '../../../src/core/model/job-data.js';

const CODE = 'DAPR_SCHEDULER_SCHEDULE_JOB';
const nest = (depth: number, inner: unknown = 1): unknown => {
  let value = inner;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};
const thrown = (fn: () => void): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('exceedsDepth', () => {
  it('counts objects and arrays: a scalar is 0 deep, {} and [] are 1', () => {
    expect(exceedsDepth('text', 0)).toBe(false);
    expect(exceedsDepth(null, 0)).toBe(false);
    expect(exceedsDepth({}, 0)).toBe(true);
    expect(exceedsDepth({}, 1)).toBe(false);
    expect(exceedsDepth([[]], 1)).toBe(true);
    expect(exceedsDepth({ a: 1, b: { c: [1, 2] } }, 3)).toBe(false);
    expect(exceedsDepth({ a: 1, b: { c: [1, [2]] } }, 3)).toBe(true);
  });

  it('is iterative: 200,000 levels are measured without overflowing the stack', () => {
    expect(exceedsDepth(nest(200_000), 32)).toBe(true);
    expect(exceedsDepth(nest(32), 32)).toBe(false);
    expect(exceedsDepth(nest(33), 32)).toBe(true);
  });
});

describe('checkJobData', () => {
  it('passes no data and data within the limits', () => {
    expect(() => checkJobData({}, DEFAULT_DATA_LIMITS, CODE)).not.toThrow();
    expect(() => checkJobData({ data: nest(32) }, DEFAULT_DATA_LIMITS, CODE)).not.toThrow();
    expect(() => checkJobData({ data: 'x'.repeat(1024 * 1024 - 2) }, DEFAULT_DATA_LIMITS, CODE)).not.toThrow(); // with its quotes, exactly 1 MiB
  });

  it('too deep: 400 naming data, the limit and the flag, with the caller\'s code', () => {
    const error = thrown(() => checkJobData({ data: nest(5_000) }, DEFAULT_DATA_LIMITS, 'ERR_ACTOR_REMINDER_CREATE'));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ kind: 'invalid', code: 'ERR_ACTOR_REMINDER_CREATE', field: 'data' });
    expect((error as Error).message).toMatch(/32 levels.*--max-data-depth/);
  });

  it('too large, as UTF-8 JSON: 413 naming data, its size, the limit and the flag', () => {
    const error = thrown(() => checkJobData({ data: 'é'.repeat(600_000) }, DEFAULT_DATA_LIMITS, CODE)); // 1.2 MB in UTF-8
    expect(error).toBeInstanceOf(DuetimeError);
    expect(error).toMatchObject({ kind: 'too-large', code: CODE, field: 'data' });
    expect((error as Error).message).toContain('1200002 bytes');
    expect((error as Error).message).toMatch(/1048576 bytes set by --max-data-bytes/);
  });

  it('a raw payload: its bytes count, and JSON inside a BytesValue is held to the depth limit', () => {
    const limits = { maxDepth: 4, maxBytes: 100 };
    const raw = (typeUrl: string, bytes: Buffer) => ({ rawData: { typeUrl, value: bytes.toString('base64') } });
    expect(() => checkJobData(raw('type.example/Blob', Buffer.alloc(100)), limits, CODE)).not.toThrow();
    expect(thrown(() => checkJobData(raw('type.example/Blob', Buffer.alloc(101)), limits, CODE))).toMatchObject({ kind: 'too-large' });
    const json = Buffer.from(JSON.stringify(nest(5)));
    const bytesValue = Buffer.concat([Buffer.from([0x0a, json.length]), json]);
    expect(thrown(() => checkJobData(raw('type.googleapis.com/google.protobuf.BytesValue', bytesValue), limits, CODE))).toMatchObject({ kind: 'invalid', field: 'data' });
  });
});

describe('jsonBytesBound', () => {
  const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

  it('is never below the UTF-8 bytes of JSON.stringify, for the characters and numbers that write out longest', () => {
    const values: unknown[] = [
      { n: 1 },
      '\u0001\u001f"\\\n',
      '\ud800\udfff\udc00', // a lone surrogate is written as \udc00, a pair as 4 bytes
      'é€😀',
      [-0.0000012345678901234567, -2.2250738585072014e-308, 1e21, -1.7976931348623157e308, NaN, Infinity],
      { 'k\u0000\ud800': [true, false, null, undefined, 'x'], [String.fromCharCode(0x2028)]: { a: [[[]]] } },
      [undefined, () => 1, Symbol('s')],
      { skipped: undefined, f: () => 1 },
      Object.assign(Object.create(null) as object, { a: 'b' }),
    ];
    for (const value of values) expect(jsonBytesBound(value, 32)).toBeGreaterThanOrEqual(bytes(value));
  });

  it('is -1 past the depth limit, counted as exceedsDepth counts', () => {
    expect(jsonBytesBound({ a: [1] }, 1)).toBe(-1);
    expect(jsonBytesBound({ a: [1] }, 2)).toBeGreaterThan(0);
    expect(jsonBytesBound(nest(200_000), 32)).toBe(-1);
  });

  it('has no bound for what JSON.stringify writes otherwise (toJSON, class instances, bigint)', () => {
    expect(jsonBytesBound({ at: new Date(0) }, 32)).toBe(Infinity);
    expect(jsonBytesBound({ x: { toJSON: () => 'x'.repeat(100) } }, 32)).toBe(Infinity);
    expect(jsonBytesBound([new Map()], 32)).toBe(Infinity);
    expect(jsonBytesBound({ n: 1n }, 32)).toBe(Infinity);
  });
});

describe('checkJobData sizes exactly whatever the bound cannot', () => {
  it('a Date or a toJSON is counted as JSON.stringify writes it', () => {
    const limits = { maxDepth: 32, maxBytes: 20 };
    // {"at":"1970-01-01T00:00:00.000Z"} is 33 bytes; its own properties are none.
    expect(thrown(() => checkJobData({ data: { at: new Date(0) } }, limits, CODE))).toMatchObject({ kind: 'too-large', message: expect.stringContaining('33 bytes') });
    expect(thrown(() => checkJobData({ data: { x: { toJSON: () => 'y'.repeat(30) } } }, limits, CODE))).toMatchObject({ kind: 'too-large' });
  });

  it('data near the limit: the exact size decides, not the bound', () => {
    const limits = { maxDepth: 32, maxBytes: 20 };
    expect(() => checkJobData({ data: { a: 'x'.repeat(12) } }, limits, CODE)).not.toThrow(); // {"a":"xxxxxxxxxxxx"} is 20 bytes
    expect(thrown(() => checkJobData({ data: { a: 'x'.repeat(13) } }, limits, CODE))).toMatchObject({ kind: 'too-large', message: expect.stringContaining('21 bytes') });
    expect(thrown(() => checkJobData({ data: { n: 1n } }, limits, CODE))).toBeInstanceOf(TypeError);
  });
});
