import { describe, expect, it } from 'vitest';
import { canonicalTimeZone, parseSchedule } from '../../../src/core/schedule/index.js';
import { invalidMessage } from './helpers.js';

function scheduleError(expr: string): string {
  return invalidMessage(() => parseSchedule(expr), 'schedule');
}

describe('rejected schedules', () => {
  it('5 fields: says that seconds come first and shows the fix', () => {
    expect(scheduleError('*/5 * * * *')).toBe('schedule "*/5 * * * *" has 5 fields; Duetime cron takes 6, seconds first: "0 */5 * * * *"');
    expect(scheduleError('TZ=Europe/Berlin 30 9 * * MON')).toBe(
      'schedule "TZ=Europe/Berlin 30 9 * * MON" has 5 fields; Duetime cron takes 6, seconds first: "TZ=Europe/Berlin 0 30 9 * * MON"',
    );
  });

  it('other field counts', () => {
    expect(scheduleError('0 0 0 1 1 * 2030')).toContain('has 7 fields; Duetime cron takes exactly 6, seconds first');
    expect(scheduleError('0 0 0 1')).toContain('has 4 fields');
    expect(scheduleError('tomorrow')).toContain('is not a cron expression or descriptor');
  });

  it('not a string (JSON can carry anything)', () => {
    expect(scheduleError(5 as unknown as string)).toContain('schedule must be a string');
  });

  it('empty', () => {
    expect(scheduleError('')).toContain('schedule is empty');
    expect(scheduleError('   ')).toContain('schedule is empty');
  });

  it.each([
    ['61 * * * * *', 'second 61 is out of range 0-59'],
    ['0 60 * * * *', 'minute 60 is out of range 0-59'],
    ['0 0 24 * * *', 'hour 24 is out of range 0-23'],
    ['0 0 0 32 * *', 'day-of-month 32 is out of range 1-31'],
    ['0 0 0 0 * *', 'day-of-month 0 is out of range 1-31'],
    ['0 0 0 * 13 *', 'month 13 is out of range 1-12'],
    ['0 0 0 * * 8', 'day-of-week 8 is out of range 0-7'],
    ['a b c d e f', 'second "A" is not a number'],
    ['0 0 0 * JANFEB *', 'month "JANFEB" is not a number or a name such as JAN'],
    ['0 0 0 * * MONDAY', 'day-of-week "MONDAY" is not a number or a name such as MON'],
    ['0 0 0 * JAN/2 MON-', 'day-of-week "" is not a number'],
    ['/5 * * * * *', 'second step "/5" needs a start, e.g. */5 or 0/5'],
    ['*/0 * * * * *', 'must end in a whole number of 1 or more'],
    ['*/x * * * * *', 'must end in a whole number of 1 or more'],
    ['1/2/3 * * * * *', 'has more than one /'],
    ['5-1 * * * * *', 'second range "5-1" runs backwards'],
    ['1-2-3 * * * * *', 'must be two values with one -'],
    ['1,,2 * * * * *', 'has an empty list item'],
    ['0 0 0 1 * +MON', 'day-of-week "+MON" is not a number'],
    ['0 0 0 L-2 * *', 'L, LW and nW (e.g. 15W) stand alone'],
    ['0 0 0 1-15W * *', 'L, LW and nW (e.g. 15W) stand alone'],
    ['0 0 0 LW,15 * *', 'LW (last weekday) must stand alone'],
    ['0 0 0 * * MON#6', 'the number after # must be 1-5'],
    ['0 0 0 * * MON#0', 'the number after # must be 1-5'],
    ['0 0 0 * * 8#1', 'day-of-week 8 is out of range 0-7'],
    ['0 0 0 * * 1#2#3', 'must look like FRI#2'],
    ['L * * * * *', 'second "L" is not a number'],
    ['0 0 0 * * 7/2', 'starts after the end of the range'],
  ])('%s: %s', (expr, fragment) => {
    const message = scheduleError(expr);
    expect(message).toContain(`schedule "${expr}"`);
    expect(message).toContain(fragment);
  });

  it('a pattern that never fires', () => {
    expect(scheduleError('0 0 0 30 2 *')).toContain('never fires');
    expect(scheduleError('0 0 0 31 4,6,9,11 *')).toContain('never fires');
  });

  it('unknown descriptors', () => {
    expect(scheduleError('@reboot')).toContain('unknown descriptor');
    expect(scheduleError('@fortnightly')).toContain('unknown descriptor');
  });

  it('unknown time zones', () => {
    for (const zone of ['Foo/Bar', 'Mars/Olympus_Mons', '+05:00', 'Local', '']) {
      const message = scheduleError(`TZ=${zone} 0 0 9 * * *`);
      expect(message).toContain(`unknown time zone "${zone}"`);
      expect(message).toContain('IANA name');
    }
    expect(scheduleError('CRON_TZ=Europe/Nowhere @daily')).toContain('unknown time zone "Europe/Nowhere"');
  });

  it('a zone with nothing after it', () => {
    expect(scheduleError('TZ=Europe/Berlin')).toContain('no schedule after it');
  });

  it('a zone before @every', () => {
    expect(scheduleError('TZ=Europe/Berlin @every 1h')).toBe(
      'schedule "TZ=Europe/Berlin @every 1h" puts a time zone before @every, which counts elapsed time and takes none; drop "TZ=Europe/Berlin"',
    );
    expect(scheduleError('CRON_TZ=UTC @every 5s')).toContain('drop "CRON_TZ=UTC"');
  });
});

describe('canonicalTimeZone', () => {
  it('canonicalises known zones and refuses the rest', () => {
    expect(canonicalTimeZone('America/New_York')).toBe('America/New_York');
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
    expect(canonicalTimeZone('Etc/UTC')).toBe('UTC');
    expect(canonicalTimeZone('Foo/Bar')).toBeUndefined();
    expect(canonicalTimeZone('+05:00')).toBeUndefined();
  });
});
