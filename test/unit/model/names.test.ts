import { describe, expect, it } from 'vitest';
import { validateName } from '../../../src/core/model/names.js';

describe('job names (SPEC 2)', () => {
  it.each([
    ['', 'DAPR_SCHEDULER_JOB_NAME_EMPTY'],
    ['   ', 'DAPR_SCHEDULER_JOB_NAME_EMPTY'],
    ['.', 'DAPR_SCHEDULER_JOB_NAME'],
    ['..', 'DAPR_SCHEDULER_JOB_NAME'],
    ['a/b', 'DAPR_SCHEDULER_JOB_NAME'],
    ['a\\b', 'DAPR_SCHEDULER_JOB_NAME'],
    ['a#b', 'DAPR_SCHEDULER_JOB_NAME'],
    ['a?b', 'DAPR_SCHEDULER_JOB_NAME'],
    ['a\nb', 'DAPR_SCHEDULER_JOB_NAME'],
    ['a\u007fb', 'DAPR_SCHEDULER_JOB_NAME'],
    ['x'.repeat(513), 'DAPR_SCHEDULER_JOB_NAME'],
  ])('rejects %j with %s', (name, code) => {
    expect(() => validateName(name)).toThrow(expect.objectContaining({ code, kind: 'invalid', field: 'name' }));
  });

  it.each(['a', 'report.daily', '...', 'x'.repeat(512), 'ünïcödé-名前', 'with space', 'a:b@c'])('accepts %j', (name) => {
    expect(validateName(name)).toBe(name);
  });
});
