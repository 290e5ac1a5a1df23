// Calendar periods: an ISO 8601 duration (P1D, P1M, P1Y, P1MT2H) repeated from an anchor instant,
// in UTC. The k-th instant is the anchor plus k times the period, always counted from the anchor
// rather than from the previous instant, so a monthly period anchored on Jan 31 gives Feb 28 (29
// in a leap year), Mar 31, Apr 30: the day of the month is clamped per month, never lost. Stepping
// from the previous instant instead would drift to the 28th for good.
//
// Schedule text (docs/reminders.md): "@every <ISO duration> from <RFC3339 instant>".
import { addIsoDuration } from './iso-arithmetic.js';
import { hasCalendarPart, isoTimePartMs, parseIsoDuration, type IsoDuration } from './iso-duration.js';
import { DAY_MS, MAX_INSTANT } from './limits.js';
import { looksLikeRfc3339, parseRfc3339 } from './rfc3339.js';
import type { Schedule } from './schedule.js';

// Mean lengths, used only to guess which step comes next; the guess is then corrected exactly.
const MEAN_YEAR_MS = 365.2425 * DAY_MS;
const MEAN_MONTH_MS = MEAN_YEAR_MS / 12;

export class CalendarPeriodSchedule implements Schedule {
  private readonly meanStepMs: number;

  /** `anchor`: the first instant (whole ms). `period`: a duration longer than zero (>= 1 ms). */
  constructor(
    readonly anchor: number,
    readonly period: IsoDuration,
  ) {
    const p = period;
    this.meanStepMs = p.years * MEAN_YEAR_MS + p.months * MEAN_MONTH_MS + (p.weeks * 7 + p.days) * DAY_MS + isoTimePartMs(p);
  }

  /** The k-th instant (k >= 0): anchor + k x period, rounded up to a whole ms; NaN past the calendar's end. */
  at(k: number): number {
    const p = this.period;
    const scaled: IsoDuration = {
      years: p.years * k,
      months: p.months * k,
      weeks: p.weeks * k,
      days: p.days * k,
      hours: p.hours * k,
      minutes: p.minutes * k,
      seconds: p.seconds * k,
    };
    return Math.ceil(addIsoDuration(this.anchor, scaled));
  }

  next(after: number): number | undefined {
    if (after < this.anchor) return this.anchor;
    // Instants grow strictly with k, so the answer is the smallest k with at(k) > after. The mean
    // step lands within a step or two of it (month lengths average out); walk the rest.
    let k = Math.max(0, Math.floor((after - this.anchor) / this.meanStepMs));
    while (k > 0 && this.at(k - 1) > after) k--;
    while (this.at(k) <= after) k++;
    const at = this.at(k);
    return Number.isFinite(at) && at <= MAX_INSTANT ? at : undefined;
  }
}

/**
 * Reads "<ISO duration> from <RFC3339 instant>" (the text after "@every"); throws a plain Error
 * saying what to fix.
 */
export function parseCalendarPeriod(text: string): CalendarPeriodSchedule {
  const match = /^(\S+)(?:\s+from\s+(\S+))?$/i.exec(text.trim());
  if (match === null) {
    throw new Error('a calendar period reads "<ISO 8601 duration> from <RFC3339 instant>", e.g. "P1M from 2026-01-31T09:00:00Z"');
  }
  const period = parseIsoDuration(match[1] ?? '');
  const from = match[2];
  if (from === undefined) {
    throw new Error(
      `needs the instant its steps count from: "${match[1]} from 2026-01-31T09:00:00Z" (anchoring keeps "monthly on the 31st" on the 31st where the month has one)`,
    );
  }
  if (!looksLikeRfc3339(from)) throw new Error(`"${from}" after "from" is not an RFC3339 instant such as 2026-01-31T09:00:00Z`);
  const anchor = parseRfc3339(from);
  if (!hasCalendarPart(period) && isoTimePartMs(period) < 1) {
    throw new Error(`period ${match[1]} is too short: it must be at least 1ms`);
  }
  return new CalendarPeriodSchedule(anchor, period);
}

/** The schedule text for a calendar period anchored at `anchor` (ms), as parseSchedule reads it. */
export function calendarPeriodText(period: string, anchor: number): string {
  return `@every ${period} from ${new Date(anchor).toISOString()}`;
}
