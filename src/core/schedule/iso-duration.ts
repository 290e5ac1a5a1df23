// ISO 8601 durations, PnYnMnWnDTnHnMnS, and repeating intervals R5/PT10S. Years, months, weeks
// and days are calendar parts; hours, minutes and seconds are elapsed time.

export interface IsoDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  /** May be fractional, as may hours or minutes when they are the last part written. */
  seconds: number;
}

export interface IsoRepeating {
  /** How many times; undefined for R/... (unbounded). */
  repeats?: number;
  duration: IsoDuration;
}

const N = String.raw`(\d+(?:[.,]\d+)?)`;
const ISO_DURATION = new RegExp(`^P(?:${N}Y)?(?:${N}M)?(?:${N}W)?(?:${N}D)?(?:T(?:${N}H)?(?:${N}M)?(?:${N}S)?)?$`, 'i');
const PARTS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;
const FIRST_TIME_PART = 4;
const FORM = 'PnYnMnWnDTnHnMnS, parts in that order, e.g. P1D, PT2H or P1Y2M3DT4H5M6.5S';

/** Parses an ISO 8601 duration; throws a plain Error saying what is wrong. */
export function parseIsoDuration(text: string): IsoDuration {
  if (!/^P/i.test(text)) throw new Error(`ISO 8601 duration "${text}" must start with P (${FORM})`);
  const match = ISO_DURATION.exec(text);
  if (match === null) throw new Error(`ISO 8601 duration "${text}" is malformed; expected ${FORM}`);
  if (/T$/i.test(text)) {
    throw new Error(`ISO 8601 duration "${text}" has a T with no hours, minutes or seconds after it, e.g. PT10S`);
  }
  const written = match.slice(1).map((value) => value?.replace(',', '.'));
  if (written.every((value) => value === undefined)) {
    throw new Error(`ISO 8601 duration "${text}" has no parts; write at least one, e.g. P1D or PT10S`);
  }
  const last = written.findLastIndex((value) => value !== undefined);
  written.forEach((value, index) => {
    if (value?.includes('.') && (index !== last || index < FIRST_TIME_PART)) {
      throw new Error(`ISO 8601 duration "${text}": only the last of hours, minutes or seconds may have a fraction`);
    }
  });
  const duration = { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 };
  PARTS.forEach((part, index) => {
    duration[part] = Number(written[index] ?? 0);
  });
  return duration;
}

/** Parses R5/PT10S (5 times) or R/PT10S (no end); throws a plain Error saying what is wrong. */
export function parseIsoRepeating(text: string): IsoRepeating {
  const match = /^R(\d*)\/(.*)$/i.exec(text);
  if (match === null) {
    throw new Error(`repeating ISO 8601 duration "${text}" must look like R5/PT10S (5 times) or R/PT10S (without end)`);
  }
  const count = match[1] ?? '';
  const repeats = count === '' ? undefined : Number(count);
  if (repeats !== undefined && (repeats < 1 || !Number.isSafeInteger(repeats))) {
    throw new Error(`repeating ISO 8601 duration "${text}": the count after R must be 1 or more, or left out for no end`);
  }
  const duration = parseIsoDuration(match[2] ?? '');
  if (isZeroDuration(duration)) throw new Error(`repeating ISO 8601 duration "${text}" has a zero period; it must be longer than zero`);
  return repeats === undefined ? { duration } : { repeats, duration };
}

export function hasCalendarPart(d: IsoDuration): boolean {
  return d.years !== 0 || d.months !== 0 || d.weeks !== 0 || d.days !== 0;
}

function isZeroDuration(d: IsoDuration): boolean {
  return !hasCalendarPart(d) && isoTimePartMs(d) === 0;
}

/** The elapsed-time part (hours, minutes, seconds) in ms, rounded to whole nanoseconds. */
export function isoTimePartMs(d: IsoDuration): number {
  const ms = d.hours * 3_600_000 + d.minutes * 60_000 + d.seconds * 1000;
  // 1.1 s would otherwise be 1100.0000000000002 ms, and rounding up would make it 1101.
  return Math.round(ms * 1e6) / 1e6;
}
