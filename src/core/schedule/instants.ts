// Reading the instants and intervals of a job request: dueTime and ttl (absolute or relative to a
// base instant) and failure-policy intervals.
import { invalidField } from './field-error.js';
import { parseGoDuration } from './go-duration.js';
import { addIsoDuration } from './iso-arithmetic.js';
import { isoTimePartMs, parseIsoDuration } from './iso-duration.js';
import { DAY_MS, isRepresentableInstant } from './limits.js';
import { looksLikeRfc3339, parseRfc3339 } from './rfc3339.js';

const INSTANT_FORMS = 'an RFC3339 time (2026-01-02T15:04:05Z), a Go duration (10s, 1h30m) or an ISO 8601 duration (PT2H)';
const INTERVAL_FORMS = 'a Go duration (1s, 500ms) or an ISO 8601 duration (PT1S)';

/**
 * An RFC 3339 time, or a Go or ISO 8601 duration counted from `base` (ISO calendar parts in UTC).
 * Whole ms, rounded up (never early). Throws InvalidRequestError naming `field`.
 */
export function resolveInstant(text: string, base: number, field: string): number {
  if (typeof text !== 'string') throw invalidField(field, `${field} must be a string: ${INSTANT_FORMS}`);
  const trimmed = text.trim();
  let read: (value: string) => number;
  if (looksLikeRfc3339(trimmed)) read = parseRfc3339;
  else if (/^P/i.test(trimmed)) read = (value) => addIsoDuration(base, parseIsoDuration(value));
  else if (/^[+-]?[\d.]/.test(trimmed)) read = (value) => base + parseGoDuration(value);
  else throw invalidField(field, `${field} "${text}" is not ${INSTANT_FORMS}`);
  let at: number;
  try {
    at = Math.ceil(read(trimmed));
  } catch (error) {
    throw invalidField(field, `${field} "${text}" is not ${INSTANT_FORMS}: ${(error as Error).message}`);
  }
  if (!isRepresentableInstant(at)) {
    throw invalidField(field, `${field} "${text}" lies too far from now; keep it within a few thousand years`);
  }
  return at;
}

/**
 * A failure-policy interval in whole ms (rounded up), 0 or more: a Go duration, or an ISO 8601
 * duration of fixed length (days and weeks count as 24 h and 7 x 24 h; years and months, whose
 * length varies, are refused). Throws InvalidRequestError naming `field`.
 */
export function parseIntervalMs(text: string, field: string): number {
  if (typeof text !== 'string') throw invalidField(field, `${field} must be a string: ${INTERVAL_FORMS}`);
  const trimmed = text.trim();
  let ms: number;
  try {
    ms = /^P/i.test(trimmed) ? fixedIsoMs(trimmed) : parseGoDuration(trimmed);
  } catch (error) {
    throw invalidField(field, `${field} "${text}" is not ${INTERVAL_FORMS}: ${(error as Error).message}`);
  }
  if (ms < 0) throw invalidField(field, `${field} "${text}" is negative; use 0 to retry at once, or a positive duration such as 1s`);
  const rounded = Math.ceil(ms);
  if (!Number.isSafeInteger(rounded)) throw invalidField(field, `${field} "${text}" is too long`);
  return rounded;
}

function fixedIsoMs(text: string): number {
  const d = parseIsoDuration(text);
  if (d.years !== 0 || d.months !== 0) {
    throw new Error('years and months vary in length; use days or hours instead, e.g. P30D or PT12H');
  }
  return (d.weeks * 7 + d.days) * DAY_MS + isoTimePartMs(d);
}
