import { describe, expect, it } from 'vitest';
import { CalendarPeriodSchedule, calendarPeriodText, parseCalendarPeriod } from '../../../src/core/schedule/calendar-period.js';
import { parseSchedule } from '../../../src/core/schedule/index.js';

const ms = (iso: string): number => Date.parse(iso);
const iso = (at: number | undefined): string => (at === undefined ? 'none' : new Date(at).toISOString());

/** The first `count` instants of a schedule strictly after `start`, each from the previous one. */
function fires(schedule: string, start: string, count: number): string[] {
  const s = parseSchedule(schedule);
  const out: string[] = [];
  let at: number | undefined = ms(start);
  for (let i = 0; i < count && at !== undefined; i++) {
    at = s.next(at);
    out.push(iso(at));
  }
  return out;
}

describe('calendar periods: golden vectors (UTC, anchored on the first instant)', () => {
  it('P1M from Jan 31 keeps the 31st where the month has one: Feb 28, Mar 31, Apr 30, ...', () => {
    expect(fires('@every P1M from 2026-01-31T09:00:00Z', '2026-01-31T08:59:59.999Z', 13)).toEqual([
      '2026-01-31T09:00:00.000Z',
      '2026-02-28T09:00:00.000Z',
      '2026-03-31T09:00:00.000Z',
      '2026-04-30T09:00:00.000Z',
      '2026-05-31T09:00:00.000Z',
      '2026-06-30T09:00:00.000Z',
      '2026-07-31T09:00:00.000Z',
      '2026-08-31T09:00:00.000Z',
      '2026-09-30T09:00:00.000Z',
      '2026-10-31T09:00:00.000Z',
      '2026-11-30T09:00:00.000Z',
      '2026-12-31T09:00:00.000Z',
      '2027-01-31T09:00:00.000Z',
    ]);
  });

  it('P1M from Jan 31 of a leap year lands on Feb 29', () => {
    expect(fires('@every P1M from 2024-01-31T00:00:00Z', '2024-01-31T00:00:00Z', 3)).toEqual([
      '2024-02-29T00:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
      '2024-04-30T00:00:00.000Z',
    ]);
  });

  it('P1M from the 30th and from the 29th', () => {
    expect(fires('@every P1M from 2026-01-30T00:00:00Z', '2026-01-30T00:00:00Z', 3)).toEqual([
      '2026-02-28T00:00:00.000Z',
      '2026-03-30T00:00:00.000Z',
      '2026-04-30T00:00:00.000Z',
    ]);
    expect(fires('@every P1M from 2027-12-29T00:00:00Z', '2027-12-29T00:00:00Z', 3)).toEqual([
      '2028-01-29T00:00:00.000Z',
      '2028-02-29T00:00:00.000Z',
      '2028-03-29T00:00:00.000Z',
    ]);
  });

  it('P1Y from Feb 29 gives Feb 28 in common years and Feb 29 again in the next leap year', () => {
    expect(fires('@every P1Y from 2024-02-29T12:00:00Z', '2024-02-29T12:00:00Z', 4)).toEqual([
      '2025-02-28T12:00:00.000Z',
      '2026-02-28T12:00:00.000Z',
      '2027-02-28T12:00:00.000Z',
      '2028-02-29T12:00:00.000Z',
    ]);
  });

  it('P1D walks across month ends and Feb 29 of a leap year', () => {
    expect(fires('@every P1D from 2028-02-27T23:30:00Z', '2028-02-27T23:30:00Z', 3)).toEqual([
      '2028-02-28T23:30:00.000Z',
      '2028-02-29T23:30:00.000Z',
      '2028-03-01T23:30:00.000Z',
    ]);
    expect(fires('@every P1D from 2026-02-27T23:30:00Z', '2026-02-27T23:30:00Z', 2)).toEqual(['2026-02-28T23:30:00.000Z', '2026-03-01T23:30:00.000Z']);
    expect(fires('@every P1D from 2026-12-30T00:00:00Z', '2026-12-30T00:00:00Z', 2)).toEqual(['2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });

  it('P1W and P2W', () => {
    expect(fires('@every P1W from 2026-02-23T08:00:00Z', '2026-02-23T08:00:00Z', 2)).toEqual(['2026-03-02T08:00:00.000Z', '2026-03-09T08:00:00.000Z']);
    expect(fires('@every P2W from 2026-12-21T08:00:00Z', '2026-12-21T08:00:00Z', 1)).toEqual(['2027-01-04T08:00:00.000Z']);
  });

  it('P1MT2H: k months from the anchor, then k x 2 hours', () => {
    expect(fires('@every P1MT2H from 2026-01-31T00:00:00Z', '2026-01-31T00:00:00Z', 3)).toEqual([
      '2026-02-28T02:00:00.000Z',
      '2026-03-31T04:00:00.000Z',
      '2026-04-30T06:00:00.000Z',
    ]);
  });

  it('P1M1D: the day is added after the month is clamped', () => {
    expect(fires('@every P1M1D from 2026-01-31T00:00:00Z', '2026-01-31T00:00:00Z', 2)).toEqual(['2026-03-01T00:00:00.000Z', '2026-04-02T00:00:00.000Z']);
  });

  it('keeps milliseconds of the anchor', () => {
    expect(fires('@every P1M from 2026-01-31T09:00:00.250Z', '2026-01-31T09:00:00.250Z', 1)).toEqual(['2026-02-28T09:00:00.250Z']);
  });
});

describe('calendar periods: next(after)', () => {
  const s = new CalendarPeriodSchedule(ms('2026-01-31T09:00:00Z'), { years: 0, months: 1, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 });

  it('is the anchor for any instant before it', () => {
    expect(iso(s.next(ms('2026-01-31T08:59:59.999Z')))).toBe('2026-01-31T09:00:00.000Z');
    expect(iso(s.next(ms('1999-01-01T00:00:00Z')))).toBe('2026-01-31T09:00:00.000Z');
  });

  it('is strictly after `after`, from any instant between two steps', () => {
    expect(iso(s.next(ms('2026-01-31T09:00:00Z')))).toBe('2026-02-28T09:00:00.000Z');
    expect(iso(s.next(ms('2026-02-28T08:59:59.999Z')))).toBe('2026-02-28T09:00:00.000Z');
    expect(iso(s.next(ms('2026-02-28T09:00:00Z')))).toBe('2026-03-31T09:00:00.000Z');
    expect(iso(s.next(ms('2026-03-01T00:00:00Z')))).toBe('2026-03-31T09:00:00.000Z');
    expect(iso(s.next(ms('2026-03-31T09:00:00.001Z')))).toBe('2026-04-30T09:00:00.000Z');
  });

  it('finds the step far from the anchor without walking every month', () => {
    expect(iso(s.next(ms('2126-02-01T00:00:00Z')))).toBe('2126-02-28T09:00:00.000Z');
    expect(iso(s.next(ms('2128-02-15T00:00:00Z')))).toBe('2128-02-29T09:00:00.000Z');
  });

  it('agrees with a linear walk of the steps, for many instants and periods', () => {
    const periods = ['P1M', 'P1Y', 'P1D', 'P3M', 'P1MT2H', 'P1Y1M1D', 'P5W', 'PT1H30M'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const period of periods) {
      const schedule = parseCalendarPeriod(`${period} from 2024-01-31T06:30:00Z`);
      const steps: number[] = [];
      for (let k = 0; k < 400; k++) steps.push(schedule.at(k));
      for (let i = 1; i < steps.length; i++) expect(steps[i]!).toBeGreaterThan(steps[i - 1]!);
      for (let n = 0; n < 200; n++) {
        const after = steps[0]! - 1000 + Math.floor(random() * (steps[398]! - steps[0]!));
        const expected = steps.find((t) => t > after);
        expect(schedule.next(after), `${period} after ${iso(after)}`).toBe(expected);
      }
    }
  });

  it('ends past the last representable instant', () => {
    const yearly = parseCalendarPeriod('P100000Y from 2026-01-01T00:00:00Z');
    expect(yearly.next(ms('2026-01-01T00:00:00Z'))).toBeDefined();
    expect(yearly.next(8.6e15)).toBeUndefined();
  });
});

describe('calendar periods: schedule text', () => {
  it('round-trips through calendarPeriodText and parseSchedule', () => {
    const text = calendarPeriodText('P1M', ms('2026-01-31T09:00:00Z'));
    expect(text).toBe('@every P1M from 2026-01-31T09:00:00.000Z');
    expect(iso(parseSchedule(text).next(ms('2026-02-01T00:00:00Z')))).toBe('2026-02-28T09:00:00.000Z');
  });

  it('accepts an offset, and is case-insensitive', () => {
    expect(fires('@EVERY p1m FROM 2026-01-31T10:00:00+01:00', '2026-01-31T09:00:00Z', 1)).toEqual(['2026-02-28T09:00:00.000Z']);
  });

  it.each([
    ['@every P1M', 'needs the instant its steps count from'],
    ['@every P1M from tomorrow', 'is not an RFC3339 instant'],
    ['@every P1M from 2026-02-30T00:00:00Z', 'day 30 is out of range'],
    ['@every P from 2026-01-01T00:00:00Z', 'has no parts'],
    ['@every P1X from 2026-01-01T00:00:00Z', 'malformed'],
    ['@every PT0.0001S from 2026-01-01T00:00:00Z', 'at least 1ms'],
    ['@every P1M since 2026-01-01T00:00:00Z', 'reads "<ISO 8601 duration> from <RFC3339 instant>"'],
    ['TZ=Europe/Berlin @every P1M from 2026-01-01T00:00:00Z', 'puts a time zone before @every'],
  ])('rejects %s', (text, message) => {
    expect(() => parseSchedule(text)).toThrow(message);
  });
});
