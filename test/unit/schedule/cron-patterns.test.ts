import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../../src/core/schedule/index.js';
import { fires } from './helpers.js';

describe('cron, seconds first, in UTC', () => {
  it('fires strictly after the given instant, in whole seconds', () => {
    const everySecond = parseSchedule('* * * * * *');
    expect(everySecond.next(Date.parse('2026-01-01T12:00:00.500Z'))).toBe(Date.parse('2026-01-01T12:00:01.000Z'));
    expect(everySecond.next(Date.parse('2026-01-01T12:00:01.000Z'))).toBe(Date.parse('2026-01-01T12:00:02.000Z'));
    expect(everySecond.next(Date.parse('2026-01-01T12:00:00.999Z'))).toBe(Date.parse('2026-01-01T12:00:01.000Z'));
  });

  it('keeps no state between calls', () => {
    const daily = parseSchedule('0 0 0 * * *');
    expect(daily.next(Date.parse('2026-06-01T10:00:00Z'))).toBe(Date.parse('2026-06-02T00:00:00Z'));
    expect(daily.next(Date.parse('2026-01-01T10:00:00Z'))).toBe(Date.parse('2026-01-02T00:00:00Z'));
    expect(daily.next(Date.parse('2026-06-01T10:00:00Z'))).toBe(Date.parse('2026-06-02T00:00:00Z'));
  });

  it('runs steps: */n, N/n (from N to the end) and ranges with steps', () => {
    expect(fires('0 0/15 * * * *', '2026-01-01T00:07:00Z', 4)).toEqual([
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:45:00.000Z',
      '2026-01-01T01:00:00.000Z',
    ]);
    expect(fires('5/20 * * * * *', '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-01T00:00:05.000Z',
      '2026-01-01T00:00:25.000Z',
      '2026-01-01T00:00:45.000Z',
      '2026-01-01T00:01:05.000Z',
    ]);
    expect(fires('*/20 * * * * *', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
    expect(fires('0 0 8-18/5 * * *', '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-01T08:00:00.000Z',
      '2026-01-01T13:00:00.000Z',
      '2026-01-01T18:00:00.000Z',
      '2026-01-02T08:00:00.000Z',
    ]);
    // A step longer than the range leaves only its start.
    expect(fires('5/60 * * * * *', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-01T00:00:05.000Z', '2026-01-01T00:01:05.000Z']);
  });

  it('reads lists, and month and weekday names in any case', () => {
    expect(fires('0 0 9 * * MON-FRI', '2026-01-02T10:00:00Z', 3)).toEqual([
      '2026-01-05T09:00:00.000Z',
      '2026-01-06T09:00:00.000Z',
      '2026-01-07T09:00:00.000Z',
    ]);
    expect(fires('0 0 0 1 JAN,jul *', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-07-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
      '2027-07-01T00:00:00.000Z',
    ]);
    expect(fires('0 0 9 * * mon-Fri', '2026-01-02T10:00:00Z', 1)).toEqual(['2026-01-05T09:00:00.000Z']);
    expect(fires('0 0 0 1 Feb-apr/2 *', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-04-01T00:00:00.000Z',
      '2027-02-01T00:00:00.000Z',
    ]);
    expect(fires('1,2,3-5,10-20/5 * * * * *', '2026-01-01T00:00:00Z', 8).map((t) => t.slice(17, 19))).toEqual([
      '01', '02', '03', '04', '05', '10', '15', '20',
    ]);
  });

  it('takes 0 and 7 (and SUN) as Sunday', () => {
    const sundays = ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z'];
    expect(fires('0 0 0 * * 0', '2026-01-01T00:00:00Z', 2)).toEqual(sundays);
    expect(fires('0 0 0 * * 7', '2026-01-01T00:00:00Z', 2)).toEqual(sundays);
    expect(fires('0 0 0 * * sun', '2026-01-01T00:00:00Z', 2)).toEqual(sundays);
    expect(fires('0 0 0 * * 6-7', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-03T00:00:00.000Z', '2026-01-04T00:00:00.000Z']);
  });

  it('treats ? as *', () => {
    expect(fires('0 0 12 ? * WED', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-07T12:00:00.000Z', '2026-01-14T12:00:00.000Z']);
    expect(fires('0 0 0 1 * ?', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    expect(fires('? ? ? ? ? ?', '2026-01-01T00:00:00.500Z', 1)).toEqual(['2026-01-01T00:00:01.000Z']);
  });

  it('skips months too short for the day, and fires on leap days only in leap years', () => {
    expect(fires('0 0 0 31 * *', '2026-01-01T00:00:00Z', 7).map((t) => t.slice(0, 10))).toEqual([
      '2026-01-31', '2026-03-31', '2026-05-31', '2026-07-31', '2026-08-31', '2026-10-31', '2026-12-31',
    ]);
    expect(fires('0 0 0 29 2 *', '2026-01-01T00:00:00Z', 2)).toEqual(['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z']);
    // 2100 is not a leap year.
    expect(fires('0 0 0 29 2 *', '2096-03-01T00:00:00Z', 1)).toEqual(['2104-02-29T00:00:00.000Z']);
  });
});

describe('day-of-month and day-of-week together (robfig rules)', () => {
  it('fires when EITHER matches when both are restricted', () => {
    // Jan 2026: the 13th is a Tuesday; Fridays are the 2nd, 9th, 16th.
    expect(fires('0 0 0 13 * FRI', '2026-01-01T00:00:00Z', 4).map((t) => t.slice(0, 10))).toEqual([
      '2026-01-02', '2026-01-09', '2026-01-13', '2026-01-16',
    ]);
    // A stepped field is restricted too: odd days OR Mondays.
    expect(fires('0 0 0 */2 * MON', '2026-01-01T00:00:00Z', 7).map((t) => t.slice(0, 10))).toEqual([
      '2026-01-03', '2026-01-05', '2026-01-07', '2026-01-09', '2026-01-11', '2026-01-12', '2026-01-13',
    ]);
  });

  it('fires when BOTH match when one of them is *, ? or */1', () => {
    const fridays = ['2026-01-02', '2026-01-09', '2026-01-16'];
    expect(fires('0 0 0 * * FRI', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual(fridays);
    expect(fires('0 0 0 ? * FRI', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual(fridays);
    // croner alone would fire daily here: it only knows a lone * as unrestricted.
    expect(fires('0 0 0 */1 * FRI', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual(fridays);
    expect(fires('0 0 0 *,5 * FRI', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual(fridays);
    expect(fires('0 0 0 13 * */1', '2026-01-01T00:00:00Z', 2).map((t) => t.slice(0, 10))).toEqual(['2026-01-13', '2026-02-13']);
  });
});

describe('L, W and # (croner extensions)', () => {
  it('L: last day of the month', () => {
    expect(fires('0 0 0 L * *', '2026-01-01T00:00:00Z', 4).map((t) => t.slice(0, 10))).toEqual([
      '2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30',
    ]);
    expect(fires('0 0 0 L 2 *', '2027-03-01T00:00:00Z', 1)).toEqual(['2028-02-29T00:00:00.000Z']);
    expect(fires('0 0 0 1,L * *', '2026-01-15T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual([
      '2026-01-31', '2026-02-01', '2026-02-28',
    ]);
  });

  it('W: nearest weekday within the month; LW: last weekday', () => {
    // 2026: Feb 15 and Mar 15 are Sundays, Aug 15 is a Saturday.
    expect(fires('0 0 0 15W * *', '2026-02-01T00:00:00Z', 2).map((t) => t.slice(0, 10))).toEqual(['2026-02-16', '2026-03-16']);
    expect(fires('0 0 0 15W 8 *', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-08-14T00:00:00.000Z']);
    // Aug 1 2026 is a Saturday: 1W does not go back into July.
    expect(fires('0 0 0 1W 8 *', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-08-03T00:00:00.000Z']);
    // Jan 31 2026 is a Saturday, Feb 28 too.
    expect(fires('0 0 0 LW * *', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual(['2026-01-30', '2026-02-27', '2026-03-31']);
  });

  it('#: nth weekday of the month; #L or nL: the last one', () => {
    expect(fires('0 0 0 * * FRI#2', '2026-01-01T00:00:00Z', 2).map((t) => t.slice(0, 10))).toEqual(['2026-01-09', '2026-02-13']);
    expect(fires('0 0 0 * * MON#5', '2026-01-01T00:00:00Z', 2).map((t) => t.slice(0, 10))).toEqual(['2026-03-30', '2026-06-29']);
    const lastFridays = ['2026-01-30', '2026-02-27', '2026-03-27'];
    expect(fires('0 0 0 * * FRI#L', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual(lastFridays);
    expect(fires('0 0 0 * * 5L', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual(lastFridays);
    expect(fires('0 0 0 * * FRIL', '2026-01-01T00:00:00Z', 3).map((t) => t.slice(0, 10))).toEqual(lastFridays);
    expect(fires('0 0 0 * * 7L', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-25T00:00:00.000Z']);
  });
});

describe('hot path', () => {
  it('answers next() quickly', () => {
    const schedule = parseSchedule('TZ=Europe/Berlin 0 */5 * * * *');
    let at = Date.parse('2026-01-01T00:00:00Z');
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) at = schedule.next(at) ?? at;
    // Typically ~0.2 s; the bound is loose for a loaded machine.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(new Date(at).toISOString()).toBe('2026-02-04T17:20:00.000Z');
  });
});
