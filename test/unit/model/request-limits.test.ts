// Limits on what a job or reminder request may ask for (issue 10 rows 8, 9 and 15,
// docs/security.md "Limits on requests and stored jobs"): string lengths checked before any
// parsing work, the least interval between ticks and between retries, and a ttl that ends before
// the first tick. Each refusal is a 400 naming the field, the limit and the flag that sets it.

import { describe, expect, it } from 'vitest';
import { reminderJobKey } from '../../../src/app/reminders/reminder-keys.js';
import { parseReminderRequest } from '../../../src/app/reminders/reminder-request.js';
import { DuetimeError } from '../../../src/core/errors.js';
import { parseJobRequest } from '../../../src/core/model/job-request.js';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../../../src/core/model/request-limits.js';

const NOW = Date.parse('2026-05-10T12:00:00.000Z');
const key = { namespace: 'ns', appId: 'app', name: 'job' };
const parse = (body: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS) => parseJobRequest(key, body, NOW, 'uid-1', limits);

const owner = { namespace: 'default', appId: 'app' };
const ref = { actorType: 'Cart', actorId: 'c-1', name: 'expire' };
const parseReminder = (body: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS) =>
  parseReminderRequest(reminderJobKey(owner, ref), owner, ref, body, NOW, 'uid-1', limits);

function refusal(read: () => unknown): DuetimeError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(DuetimeError);
    expect((error as DuetimeError).kind).toBe('invalid');
    return error as DuetimeError;
  }
  throw new Error('expected the request to be refused');
}

describe('defaults', () => {
  it('100 ms least interval, 256-character schedules, 64-character durations, 60 items per cron field list', () => {
    expect(DEFAULT_REQUEST_LIMITS).toEqual({ minIntervalMs: 100, maxScheduleLength: 256, maxDurationLength: 64 });
  });
});

describe('lengths, checked before any parsing (row 9)', () => {
  it('a 4 MB cron with a million day-of-month entries is refused naming schedule, the limit and the flag', () => {
    const days = Array.from({ length: 1_000_000 }, (_, i) => String((i % 31) + 1)).join(',');
    const error = refusal(() => parse({ schedule: `0 0 0 ${days} * *` }));
    expect(error.field).toBe('schedule');
    expect(error.code).toBe('DAPR_SCHEDULER_SCHEDULE_JOB');
    expect(error.message).toContain('256');
    expect(error.message).toContain('--max-schedule-length');
  });

  it('a schedule of exactly the limit is read; one character more is refused', () => {
    const padded = (length: number) => `0 0 0 * * *${' '.repeat(length - 11)}`;
    expect(parse({ schedule: padded(256), dueTime: '1s' }).def.schedule).toBe('0 0 0 * * *');
    // The length is of the text as sent: trailing blanks count too.
    expect(refusal(() => parse({ schedule: `${padded(256)} ` })).field).toBe('schedule');
  });

  it('a 4-million-digit dueTime is refused naming dueTime, the limit and the flag', () => {
    const error = refusal(() => parse({ dueTime: `${'9'.repeat(4_000_000)}s` }));
    expect(error.field).toBe('dueTime');
    expect(error.message).toContain('64');
    expect(error.message).toContain('--max-duration-length');
  });

  it('ttl and failure-policy intervals are held to the duration length too', () => {
    const long = `${'1'.repeat(70)}ms`;
    expect(refusal(() => parse({ schedule: '@every 1h', ttl: long })).field).toBe('ttl');
    expect(refusal(() => parse({ dueTime: '1s', failurePolicy: { constant: { interval: long } } })).field).toBe('failurePolicy.constant.interval');
    expect(refusal(() => parse({ dueTime: '1s', failurePolicy: { exponential: { initialInterval: long } } })).field).toBe('failurePolicy.exponential.initialInterval');
    expect(refusal(() => parse({ dueTime: '1s', failurePolicy: { exponential: { max_interval: long } } })).field).toBe('failurePolicy.exponential.maxInterval');
  });

  it('an RFC 3339 dueTime with nanoseconds and an offset fits', () => {
    expect(parse({ dueTime: '2026-05-10T13:00:00.123456789+01:00' }).def.dueAt).toBe(NOW + 124);
  });

  it('a cron field list of more than 60 entries is refused even under a raised length limit', () => {
    const raised = { ...DEFAULT_REQUEST_LIMITS, maxScheduleLength: 10_000 };
    const sixty = Array.from({ length: 60 }, (_, i) => String(i)).join(',');
    expect(parse({ schedule: `${sixty} * * * * *` }, raised).def.schedule).toBe(`${sixty} * * * * *`);
    const error = refusal(() => parse({ schedule: `0 0 0 ${`${sixty},1`} * *` }, raised));
    expect(error.field).toBe('schedule');
    expect(error.message).toContain('61');
    expect(error.message).toContain('60');
  });

  it('reminders: period, dueTime and ttl are held to the limits', () => {
    expect(refusal(() => parseReminder({ period: `R5/PT${'1'.repeat(300)}S` })).field).toBe('period');
    expect(refusal(() => parseReminder({ dueTime: `${'9'.repeat(100_000)}s` })).field).toBe('dueTime');
    expect(refusal(() => parseReminder({ period: '1h', ttl: `${'9'.repeat(100)}h` })).field).toBe('ttl');
  });
});

describe('least interval between ticks and retries (row 8)', () => {
  it('@every below --min-interval is refused naming schedule and the flag; at the limit it is accepted', () => {
    const error = refusal(() => parse({ schedule: '@every 1ms' }));
    expect(error.field).toBe('schedule');
    expect(error.message).toContain('100ms');
    expect(error.message).toContain('--min-interval');
    expect(parse({ schedule: '@every 100ms' }).def.schedule).toBe('@every 100ms');
    expect(refusal(() => parse({ schedule: '@every 99.9ms' })).field).toBe('schedule');
  });

  it('a calendar period of elapsed time only is held to it; calendar parts are days at least', () => {
    expect(refusal(() => parse({ schedule: '@every PT0.001S from 2026-01-01T00:00:00Z' })).field).toBe('schedule');
    expect(parse({ schedule: '@every PT0.1S from 2026-01-01T00:00:00Z' }).def.schedule).toBeDefined();
    expect(parse({ schedule: '@every P1D from 2026-01-01T00:00:00Z' }).def.schedule).toBeDefined();
  });

  it('cron fires at most once a second and is accepted: "* * * * * *"', () => {
    expect(parse({ schedule: '* * * * * *' }).def.schedule).toBe('* * * * * *');
  });

  it('a lower --min-interval lets fast schedules through', () => {
    expect(parse({ schedule: '@every 1ms' }, { ...DEFAULT_REQUEST_LIMITS, minIntervalMs: 1 }).def.schedule).toBe('@every 1ms');
  });

  it('constant retries sooner than the least interval are refused unless there are none', () => {
    const error = refusal(() => parse({ dueTime: '1s', failurePolicy: { constant: { interval: '0s' } } }));
    expect(error.field).toBe('failurePolicy.constant.interval');
    expect(error.message).toContain('--min-interval');
    expect(refusal(() => parse({ dueTime: '1s', failurePolicy: { constant: { interval: 'PT0.05S', maxRetries: 3 } } })).field).toBe('failurePolicy.constant.interval');
    expect(parse({ dueTime: '1s', failurePolicy: { constant: { interval: '0s', maxRetries: 0 } } }).def.failurePolicy).toEqual({ kind: 'constant', intervalMs: 0, maxRetries: 0 });
    expect(parse({ dueTime: '1s', failurePolicy: { constant: { interval: '100ms' } } }).def.failurePolicy).toEqual({ kind: 'constant', intervalMs: 100 });
  });

  it('exponential retries starting sooner than the least interval are refused', () => {
    const error = refusal(() => parse({ dueTime: '1s', failurePolicy: { exponential: { initialInterval: '1ms', maxInterval: '1s' } } }));
    expect(error.field).toBe('failurePolicy.exponential.initialInterval');
    expect(error.message).toContain('--min-interval');
  });

  it('reminder periods in every form are held to it, naming period', () => {
    for (const period of ['PT0.001S', '1ms', 'R5/PT0.01S', '@every 10ms', 'R/PT0.05S', 'PT0.0995S']) {
      const error = refusal(() => parseReminder({ period }));
      expect(error.field, period).toBe('period');
      expect(error.message, period).toContain('--min-interval');
    }
    expect(parseReminder({ period: 'PT0.1S' }).def.schedule).toBe('@every 100ms');
  });

  it('a reminder failure policy is held to it too', () => {
    expect(refusal(() => parseReminder({ failurePolicy: { constant: { interval: '0s' } } })).field).toBe('failurePolicy.constant.interval');
  });
});

describe('a ttl that ends before the first tick (row 15)', () => {
  it('@every 1h with ttl 1s is refused naming ttl', () => {
    const error = refusal(() => parse({ schedule: '@every 1h', ttl: '1s' }));
    expect(error.field).toBe('ttl');
    expect(error.message).toContain('first tick');
  });

  it('a negative ttl is refused naming ttl', () => {
    expect(refusal(() => parse({ schedule: '@every 1s', ttl: '-1h' })).field).toBe('ttl');
  });

  it('a cron whose first match is after the ttl is refused; a ttl at the first tick is accepted', () => {
    expect(refusal(() => parse({ schedule: '0 0 0 * * *', ttl: '1h' })).field).toBe('ttl');
    expect(parse({ schedule: '@every 1h', ttl: '1h' }).def.expiresAt).toBe(NOW + 3_600_000);
  });

  it('with a dueTime, the first tick is the dueTime', () => {
    expect(parse({ schedule: '@every 1h', dueTime: '1s', ttl: '2s' }).def.expiresAt).toBe(NOW + 3000);
  });

  it('a periodic reminder without dueTime first fires one period on: a ttl before that is refused', () => {
    const error = refusal(() => parseReminder({ period: '1h', ttl: '1m' }));
    expect(error.field).toBe('ttl');
    expect(error.code).toBe('ERR_ACTOR_REMINDER_CREATE');
    expect(parseReminder({ period: '1h', ttl: '2h' }).def.expiresAt).toBe(NOW + 7_200_000);
  });
});
