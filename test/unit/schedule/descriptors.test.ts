import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../../src/core/schedule/index.js';
import { fires, invalidMessage } from './helpers.js';

// 2026-05-15 is a Friday.
const FROM = '2026-05-15T10:20:30Z';

describe('descriptors', () => {
  it.each([
    ['@yearly', '2027-01-01T00:00:00.000Z'],
    ['@annually', '2027-01-01T00:00:00.000Z'],
    ['@monthly', '2026-06-01T00:00:00.000Z'],
    ['@weekly', '2026-05-17T00:00:00.000Z'], // Sunday
    ['@daily', '2026-05-16T00:00:00.000Z'],
    ['@midnight', '2026-05-16T00:00:00.000Z'],
    ['@hourly', '2026-05-15T11:00:00.000Z'],
    ['@DAILY', '2026-05-16T00:00:00.000Z'],
  ])('%s fires at %s', (expr, expected) => {
    expect(fires(expr, FROM, 1)).toEqual([expected]);
  });

  it('@weekly fires on Sundays', () => {
    expect(fires('@weekly', FROM, 2)).toEqual(['2026-05-17T00:00:00.000Z', '2026-05-24T00:00:00.000Z']);
  });
});

describe('@every', () => {
  it('is a constant delay after the previous instant', () => {
    const t = Date.parse(FROM);
    expect(parseSchedule('@every 1h30m').next(t)).toBe(t + 5_400_000);
    expect(parseSchedule('@every 500ms').next(t)).toBe(t + 500);
    expect(parseSchedule('@every 1ms').next(t)).toBe(t + 1);
    expect(fires('@every 1h30m', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T01:30:00.000Z',
      '2026-01-01T03:00:00.000Z',
      '2026-01-01T04:30:00.000Z',
    ]);
  });

  it('ignores calendars: not aligned to whole seconds or minutes', () => {
    expect(fires('@every 10s', '2026-01-01T00:00:00.250Z', 2)).toEqual(['2026-01-01T00:00:10.250Z', '2026-01-01T00:00:20.250Z']);
  });

  it.each([
    ['@every', 'needs a duration'],
    ['@every 0s', 'at least 1ms'],
    ['@every 0', 'at least 1ms'],
    ['@every -1s', 'at least 1ms'],
    ['@every 500us', 'at least 1ms'],
    ['@every 1500us', 'whole number of milliseconds'],
    ['@every 1x', 'unknown unit "x"'],
    ['@every soon', 'expected a number'],
  ])('refuses %s', (expr, fragment) => {
    const message = invalidMessage(() => parseSchedule(expr), 'schedule');
    expect(message).toContain(`schedule "${expr}"`);
    expect(message).toContain(fragment);
  });
});
