// The data limits checked when a job or reminder is written (core/model/job-data.ts).

import { describe, expect, it } from 'vitest';
import { DuetimeError, InvalidRequestError } from '../../../src/core/errors.js';
import { checkJobData, DEFAULT_DATA_LIMITS, exceedsDepth } from '../../../src/core/model/job-data.js';

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
