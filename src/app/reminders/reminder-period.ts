// A reminder's period as the engine's schedule grammar: Dapr's forms (Go duration, ISO 8601
// duration, ISO repeating interval R5/PT10S) plus @every, descriptors and 6-field cron, and
// calendar periods (P1D, P1M, P1Y, P1MT2H) that Dapr refuses. Calendar periods become the anchored
// form "@every P1M from <first due instant>" (src/core/schedule/calendar-period.ts).

import { InvalidRequestError } from '../../core/errors.js';
import { calendarPeriodText } from '../../core/schedule/calendar-period.js';
import { hasCalendarPart, isoTimePartMs, parseGoDuration, parseIsoDuration, parseIsoRepeating, parseSchedule } from '../../core/schedule/index.js';
import { CREATE_CODE } from './reminder-keys.js';

export interface PeriodPlan {
  /** Schedule text the engine reads (parseSchedule). */
  schedule: string;
  /** Total ticks, the first (at dueTime) included, from R<n>/...; undefined = no end. */
  repeats?: number;
}

const FORMS =
  'a Go duration (10s, 1h30m), an ISO 8601 duration (PT10S, P1D, P1M), a repeating one (R5/PT10S, R/PT10S), ' +
  '"@every 10s", a descriptor (@daily) or a 6-field cron (seconds first)';

/** Reads `period`; calendar periods are anchored on `anchor`, the reminder's first due instant. */
export function planPeriod(period: string, anchor: number): PeriodPlan {
  const text = period.trim();
  const invalid = (detail: string) => new InvalidRequestError(CREATE_CODE, `period "${period}" ${detail}`, 'period');
  if (/^R/i.test(text)) {
    let repeating;
    try {
      repeating = parseIsoRepeating(text);
    } catch (error) {
      throw invalid(`is not valid: ${(error as Error).message}`);
    }
    const durationText = text.slice(text.indexOf('/') + 1);
    const schedule = isoSchedule(durationText, repeating.duration, anchor, invalid);
    return repeating.repeats === undefined ? { schedule } : { schedule, repeats: repeating.repeats };
  }
  if (/^P/i.test(text)) {
    let duration;
    try {
      duration = parseIsoDuration(text);
    } catch (error) {
      throw invalid(`is not valid: ${(error as Error).message}`);
    }
    return { schedule: isoSchedule(text, duration, anchor, invalid) };
  }
  if (text.startsWith('@') || /\s/.test(text) || /^(CRON_)?TZ=/i.test(text)) {
    try {
      parseSchedule(text);
    } catch (error) {
      throw invalid(`is not a valid schedule: ${(error as Error).message}`);
    }
    return { schedule: text };
  }
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (error) {
    throw invalid(`is not ${FORMS}: ${(error as Error).message}`);
  }
  if (ms < 1) throw invalid('is too short: a period must be at least 1ms (leave period out for a one-shot reminder)');
  if (!Number.isInteger(ms)) throw invalid('must be a whole number of milliseconds, e.g. 1500ms');
  return { schedule: `@every ${text}` };
}

function isoSchedule(text: string, duration: ReturnType<typeof parseIsoDuration>, anchor: number, invalid: (detail: string) => Error): string {
  const ms = isoTimePartMs(duration);
  if (!hasCalendarPart(duration)) {
    if (ms < 1) throw invalid('is too short: a period must be at least 1ms');
    // Elapsed time only: a constant delay, as Dapr reads it.
    if (Number.isInteger(ms)) return `@every ${ms}ms`;
  }
  // Calendar parts (or a fraction of a millisecond): anchored steps, each counted from the anchor.
  return calendarPeriodText(text.toUpperCase(), anchor);
}
