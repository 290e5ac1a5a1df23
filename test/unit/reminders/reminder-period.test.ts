import { describe, expect, it } from 'vitest';
import { DuetimeError } from '../../../src/core/errors.js';
import { planPeriod } from '../../../src/app/reminders/reminder-period.js';
import { parseSchedule } from '../../../src/core/schedule/index.js';

const ANCHOR = Date.parse('2026-01-31T09:00:00Z');
const FROM = 'from 2026-01-31T09:00:00.000Z';

describe('reminder periods: every form Dapr takes, and more', () => {
  it.each([
    // Go durations: a constant delay.
    ['10s', { schedule: '@every 10s' }],
    ['1h30m', { schedule: '@every 1h30m' }],
    ['0h0m9s0ms', { schedule: '@every 0h0m9s0ms' }],
    ['500ms', { schedule: '@every 500ms' }],
    // Schedules as the jobs API reads them.
    ['@every 5s', { schedule: '@every 5s' }],
    ['@daily', { schedule: '@daily' }],
    ['* * * * * *', { schedule: '* * * * * *' }],
    ['0 30 9 * * MON-FRI', { schedule: '0 30 9 * * MON-FRI' }],
    ['TZ=Europe/Berlin 0 0 9 * * *', { schedule: 'TZ=Europe/Berlin 0 0 9 * * *' }],
    // ISO 8601, elapsed time only: a constant delay.
    ['PT10S', { schedule: '@every 10000ms' }],
    ['PT1H30M', { schedule: '@every 5400000ms' }],
    ['PT0.5S', { schedule: '@every 500ms' }],
    // ISO repeating intervals: R<n> is the total number of ticks; R/ has no end.
    ['R5/PT10S', { schedule: '@every 10000ms', repeats: 5 }],
    ['R1/PT1S', { schedule: '@every 1000ms', repeats: 1 }],
    ['R/PT10S', { schedule: '@every 10000ms' }],
    // Calendar periods: anchored on the first due instant.
    ['P1D', { schedule: `@every P1D ${FROM}` }],
    ['P1W', { schedule: `@every P1W ${FROM}` }],
    ['P1M', { schedule: `@every P1M ${FROM}` }],
    ['p1m', { schedule: `@every P1M ${FROM}` }],
    ['P1Y', { schedule: `@every P1Y ${FROM}` }],
    ['P1MT2H', { schedule: `@every P1MT2H ${FROM}` }],
    ['R3/P1M', { schedule: `@every P1M ${FROM}`, repeats: 3 }],
    ['R/P1D', { schedule: `@every P1D ${FROM}` }],
  ])('%s', (period, plan) => {
    const got = planPeriod(period, ANCHOR);
    expect(got).toEqual(plan);
    expect(() => parseSchedule(got.schedule)).not.toThrow();
  });

  it.each([
    ['0s', 'at least 1ms'],
    ['0', 'at least 1ms'],
    ['-1s', 'at least 1ms'],
    ['1500us', 'whole number of milliseconds'],
    ['soon', 'is not a Go duration (10s, 1h30m)'],
    ['10x', 'unknown unit'],
    ['P', 'has no parts'],
    ['PT0S', 'at least 1ms'],
    ['P1X', 'malformed'],
    ['R0/PT1S', 'count after R must be 1 or more'],
    ['R5/PT0S', 'zero period'],
    ['R5-PT1S', 'must look like R5/PT10S'],
    ['* * * * *', 'has 5 fields'],
    ['@sometimes', 'unknown descriptor'],
  ])('rejects %s', (period, message) => {
    let error: unknown;
    try {
      planPeriod(period, ANCHOR);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DuetimeError);
    const e = error as DuetimeError;
    expect(e.kind).toBe('invalid');
    expect(e.code).toBe('ERR_ACTOR_REMINDER_CREATE');
    expect(e.field).toBe('period');
    expect(e.message).toContain(`period "${period}"`);
    expect(e.message).toContain(message);
  });
});
