import { describe, expect, it } from 'vitest';
import { parseIntervalMs, resolveInstant } from '../../../src/core/schedule/index.js';
import { invalidMessage } from './helpers.js';

const BASE = Date.parse('2026-01-31T10:00:00Z');

describe('resolveInstant', () => {
  it.each([
    ['2026-01-02T15:04:05Z', '2026-01-02T15:04:05.000Z'],
    ['2026-01-02T15:04:05.123Z', '2026-01-02T15:04:05.123Z'],
    ['2026-01-02T15:04:05.1Z', '2026-01-02T15:04:05.100Z'],
    ['2026-01-02T15:04:05.1230000Z', '2026-01-02T15:04:05.123Z'],
    ['2026-01-02T15:04:05.1231Z', '2026-01-02T15:04:05.124Z'], // rounded up, never early
    ['2026-01-02T15:04:05.999999999Z', '2026-01-02T15:04:06.000Z'],
    ['2026-01-02T15:04:05+02:00', '2026-01-02T13:04:05.000Z'],
    ['2026-01-02T15:04:05-05:30', '2026-01-02T20:34:05.000Z'],
    ['2026-01-02T00:30:00.5+01:00', '2026-01-01T23:30:00.500Z'],
    ['2026-01-02t15:04:05z', '2026-01-02T15:04:05.000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['  2026-01-02T15:04:05Z  ', '2026-01-02T15:04:05.000Z'],
  ])('RFC3339 %s', (text, expected) => {
    expect(new Date(resolveInstant(text, BASE, 'dueTime')).toISOString()).toBe(expected);
  });

  it.each([
    ['10s', BASE + 10_000],
    ['1h30m', BASE + 5_400_000],
    ['500ms', BASE + 500],
    ['100us', BASE + 1], // rounded up
    ['-10s', BASE - 10_000],
    ['0', BASE],
    ['PT2H', BASE + 7_200_000],
    ['P1D', BASE + 86_400_000],
    ['PT0.0001S', BASE + 1],
    ['P1M', Date.parse('2026-02-28T10:00:00Z')], // calendar month in UTC, clamped
  ])('relative %s', (text, expected) => {
    expect(resolveInstant(text, BASE, 'dueTime')).toBe(expected);
  });

  it('names the accepted forms and the field', () => {
    expect(invalidMessage(() => resolveInstant('tomorrow', BASE, 'dueTime'), 'dueTime')).toBe(
      'dueTime "tomorrow" is not an RFC3339 time (2026-01-02T15:04:05Z), a Go duration (10s, 1h30m) or an ISO 8601 duration (PT2H)',
    );
    expect(invalidMessage(() => resolveInstant('', BASE, 'ttl'), 'ttl')).toContain('ttl "" is not an RFC3339 time');
  });

  it.each([
    ['2026-02-30T00:00:00Z', 'day 30 is out of range for 2026-02'],
    ['2026-13-01T00:00:00Z', 'month 13 is out of range'],
    ['2026-01-02T24:00:00Z', 'hour 24 is out of range'],
    ['2026-01-02T15:60:00Z', 'minute 60 is out of range'],
    ['2026-01-02T15:04:60Z', 'second 60 is out of range'],
    ['2026-01-02T15:04:05+24:00', 'offset +24:00 is out of range'],
    ['2026-01-02T15:04:05', 'expected the form 2026-01-02T15:04:05Z'],
    ['2026-01-02 15:04:05Z', 'expected the form'],
    ['2026-01-02', 'expected the form'],
    ['10x', 'unknown unit "x"'],
    ['10', 'missing a unit'],
    ['P', 'has no parts'],
    ['P1.5D', 'may have a fraction'],
  ])('refuses %s (%s), naming the field', (text, fragment) => {
    const message = invalidMessage(() => resolveInstant(text, BASE, 'ttl'), 'ttl');
    expect(message).toContain(`ttl "${text}" is not an RFC3339 time (2026-01-02T15:04:05Z), a Go duration (10s, 1h30m) or an ISO 8601 duration (PT2H): `);
    expect(message).toContain(fragment);
  });

  it('refuses a value that is not a string', () => {
    expect(invalidMessage(() => resolveInstant(10 as unknown as string, BASE, 'dueTime'), 'dueTime')).toContain('dueTime must be a string');
    expect(invalidMessage(() => parseIntervalMs(1 as unknown as string, 'interval'), 'interval')).toContain('interval must be a string');
  });

  it('refuses instants a Date cannot hold', () => {
    expect(invalidMessage(() => resolveInstant('P300000Y', BASE, 'ttl'), 'ttl')).toContain('too far');
    expect(invalidMessage(() => resolveInstant('P200000000D', BASE, 'dueTime'), 'dueTime')).toContain('too far');
  });
});

describe('parseIntervalMs', () => {
  it.each([
    ['1s', 1_000],
    ['500ms', 500],
    ['0', 0],
    ['0s', 0],
    ['1.5ms', 2], // rounded up
    ['100us', 1],
    ['1m30s', 90_000],
    ['PT1S', 1_000],
    ['PT0.5S', 500],
    ['PT0S', 0],
    ['P1D', 86_400_000],
    ['P1W', 604_800_000],
    [' 2s ', 2_000],
  ])('%s = %s ms', (text, ms) => {
    expect(parseIntervalMs(text, 'failurePolicy.constant.interval')).toBe(ms);
  });

  it.each([
    ['-1s', 'is negative'],
    ['P1M', 'years and months vary in length'],
    ['P1Y', 'years and months vary in length'],
    ['abc', 'is not a Go duration (1s, 500ms) or an ISO 8601 duration (PT1S)'],
    ['', 'is empty'],
    ['1x', 'unknown unit'],
    ['2026-01-01T00:00:00Z', 'unknown unit'],
  ])('refuses %j (%s), naming the field', (text, fragment) => {
    const field = 'failurePolicy.constant.interval';
    const message = invalidMessage(() => parseIntervalMs(text, field), field);
    expect(message).toContain(`${field} "${text}"`);
    expect(message).toContain(fragment);
  });
});
