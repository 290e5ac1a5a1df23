// Shared helpers for the schedule tests: enumerate fire instants as ISO strings, and assert the
// shape of field errors.
import { expect } from 'vitest';
import { InvalidRequestError } from '../../../src/core/errors.js';
import { parseSchedule } from '../../../src/core/schedule/index.js';

/** The first `count` fire instants strictly after `fromIso`, as ISO strings. */
export function fires(expr: string, fromIso: string, count: number): string[] {
  const schedule = parseSchedule(expr);
  const out: string[] = [];
  let at = Date.parse(fromIso);
  for (let i = 0; i < count; i++) {
    const next = schedule.next(at);
    if (next === undefined) break;
    out.push(new Date(next).toISOString());
    at = next;
  }
  return out;
}

/** Runs `fn`, expects an InvalidRequestError for `field`, and returns its message. */
export function invalidMessage(fn: () => unknown, field: string): string {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidRequestError);
  const error = caught as InvalidRequestError;
  expect(error.code).toBe('DAPR_SCHEDULER_SCHEDULE_JOB');
  expect(error.field).toBe(field);
  expect(error.kind).toBe('invalid');
  return error.message;
}
