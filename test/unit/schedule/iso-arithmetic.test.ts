import { describe, expect, it } from 'vitest';
import { addIsoDuration, parseIsoDuration } from '../../../src/core/schedule/index.js';

function add(fromIso: string, duration: string, zone?: string): string {
  return new Date(addIsoDuration(Date.parse(fromIso), parseIsoDuration(duration), zone)).toISOString();
}

describe('addIsoDuration in UTC', () => {
  it.each([
    ['2026-01-31T10:00:00Z', 'P1M', '2026-02-28T10:00:00.000Z'], // clamped to the month end
    ['2028-01-31T10:00:00Z', 'P1M', '2028-02-29T10:00:00.000Z'], // leap year
    ['2026-03-31T00:00:00Z', 'P1M', '2026-04-30T00:00:00.000Z'],
    ['2026-01-31T00:00:00Z', 'P1M1D', '2026-03-01T00:00:00.000Z'], // clamp, then add the day
    ['2026-12-15T08:00:00Z', 'P1M', '2027-01-15T08:00:00.000Z'],
    ['2026-01-31T00:00:00Z', 'P13M', '2027-02-28T00:00:00.000Z'],
    ['2028-02-29T12:00:00Z', 'P1Y', '2029-02-28T12:00:00.000Z'],
    ['2028-02-29T12:00:00Z', 'P4Y', '2032-02-29T12:00:00.000Z'],
    ['2026-01-01T00:00:00Z', 'P2W', '2026-01-15T00:00:00.000Z'],
    ['2026-01-01T00:00:00Z', 'P1DT12H', '2026-01-02T12:00:00.000Z'],
    ['2026-03-28T12:00:00Z', 'P1D', '2026-03-29T12:00:00.000Z'], // always 24 h in UTC
    ['2026-01-01T00:00:00Z', 'PT2H', '2026-01-01T02:00:00.000Z'],
    ['2026-01-01T00:00:00Z', 'PT1.5S', '2026-01-01T00:00:01.500Z'],
    ['2026-01-01T23:59:59Z', 'PT1S', '2026-01-02T00:00:00.000Z'],
    ['0099-12-31T00:00:00Z', 'P1D', '0100-01-01T00:00:00.000Z'], // two-digit years stay themselves
  ])('%s + %s = %s', (from, duration, expected) => {
    expect(add(from, duration)).toBe(expected);
  });

  it('keeps sub-millisecond time parts exactly', () => {
    expect(addIsoDuration(1000, parseIsoDuration('PT0.0005S'))).toBe(1000.5);
    expect(addIsoDuration(0, parseIsoDuration('PT1.1S'))).toBe(1100);
  });
});

describe('addIsoDuration in a zone with DST', () => {
  it('P1D is a calendar day: 23 h into summer time, 25 h out of it (Europe/Berlin)', () => {
    // 2026-03-28 12:00 CET -> 2026-03-29 12:00 CEST
    expect(add('2026-03-28T11:00:00Z', 'P1D', 'Europe/Berlin')).toBe('2026-03-29T10:00:00.000Z');
    // 2026-10-24 12:00 CEST -> 2026-10-25 12:00 CET
    expect(add('2026-10-24T10:00:00Z', 'P1D', 'Europe/Berlin')).toBe('2026-10-25T11:00:00.000Z');
    // PT24H is elapsed time: 13:00 CEST on the next day.
    expect(add('2026-03-28T11:00:00Z', 'PT24H', 'Europe/Berlin')).toBe('2026-03-29T11:00:00.000Z');
  });

  it('a calendar result in the gap moves forward by the gap; a repeated one takes the first occurrence', () => {
    // 2026-03-28 02:30 CET + P1D = 2026-03-29 02:30, which does not exist: 03:30 CEST.
    expect(add('2026-03-28T01:30:00Z', 'P1D', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    // 2026-10-24 02:30 CEST + P1D = 2026-10-25 02:30, twice: the first, CEST.
    expect(add('2026-10-24T00:30:00Z', 'P1D', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
    // 2026-11-01 01:30 EST (second pass) + P1D = 2026-11-02 01:30 EST.
    expect(add('2026-11-01T06:30:00Z', 'P1D', 'America/New_York')).toBe('2026-11-02T06:30:00.000Z');
  });

  it('months in a zone: Jan 31 + P1M is the last day of February in that zone', () => {
    // 2026-01-31 00:30 in Berlin is 2026-01-30T23:30Z; + P1M = 2026-02-28 00:30 CET.
    expect(add('2026-01-30T23:30:00Z', 'P1M', 'Europe/Berlin')).toBe('2026-02-27T23:30:00.000Z');
  });
});
