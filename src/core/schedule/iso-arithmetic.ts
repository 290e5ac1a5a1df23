// Adding an ISO 8601 duration to an instant: years, months, weeks and days move the calendar date
// in a time zone (keeping the wall-clock time of day), then hours, minutes and seconds add elapsed
// time. So P1D is a calendar day (23 or 25 hours across a DST change) and P1M from Jan 31 lands on
// the last day of February.
import { civilToMs, daysInMonth } from './civil.js';
import { DAY_MS } from './limits.js';
import { hasCalendarPart, isoTimePartMs, type IsoDuration } from './iso-duration.js';
import { offsetAt } from './time-zone.js';
import { wallToInstant } from './wall-clock.js';

/**
 * `instant` plus `d`, calendar parts counted in `timeZone` (an IANA name, default UTC). A
 * calendar result that falls in a DST gap moves forward by the gap's length (02:30 -> 03:30); one
 * that occurs twice takes the first occurrence. Fractional only when `d` has sub-ms seconds.
 */
export function addIsoDuration(instant: number, d: IsoDuration, timeZone = 'UTC'): number {
  let at = instant;
  if (hasCalendarPart(d)) {
    const wall = instant + offsetAt(timeZone, instant);
    const date = new Date(wall);
    const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + d.years * 12 + d.months;
    const year = Math.floor(monthIndex / 12);
    const month0 = monthIndex - year * 12;
    const day = Math.min(date.getUTCDate(), daysInMonth(year, month0));
    const msOfDay = ((wall % DAY_MS) + DAY_MS) % DAY_MS;
    const newWall = civilToMs(year, month0, day + d.weeks * 7 + d.days, msOfDay);
    at = timeZone === 'UTC' ? newWall : wallToInstant(timeZone, newWall, 'shift-forward');
  }
  return at + isoTimePartMs(d);
}
