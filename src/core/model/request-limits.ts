// Limits on what a job or reminder request may ask for (docs/security.md, "Limits on requests and
// stored jobs"), checked when a job is written, never when a stored one is read back: a limit
// lowered later must not make stored jobs unreadable.
//
// - Lengths first, before any parsing: a 4 MB cron or a 4-million-digit duration used to hold
//   the event loop for a second per request (issue 10 row 9).
// - The least interval: an @every period, an elapsed-time reminder period or a retry interval
//   shorter than --min-interval is refused, so a few jobs cannot turn the server into a flood of
//   outbound requests (issue 10 row 8). Cron matches whole seconds and needs no check below 1 s.
//
// The values come from the server's flags through the services; the core only takes numbers.

import { InvalidRequestError } from '../errors.js';
import { shortestStepMs, type Schedule } from '../schedule/index.js';
import type { FailurePolicy } from './job.js';

export interface RequestLimits {
  /** --min-interval: least @every period, reminder period and retry interval, in ms. */
  minIntervalMs: number;
  /** --max-schedule-length: most characters in a schedule or a reminder period. */
  maxScheduleLength: number;
  /** --max-duration-length: most characters in dueTime, ttl and failure-policy intervals. */
  maxDurationLength: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { minIntervalMs: 100, maxScheduleLength: 256, maxDurationLength: 64 };

/**
 * Most entries in one cron field's comma list. A field has at most 60 values (seconds, minutes),
 * so a longer list can only repeat values; fixed, not a flag.
 */
export const MAX_CRON_LIST_ENTRIES = 60;

/** A schedule (or a reminder period, which may be one): its length, then its cron lists. */
export function checkScheduleText(text: string, limits: RequestLimits, field: string, code: string): void {
  if (text.length > limits.maxScheduleLength) {
    throw new InvalidRequestError(
      code,
      `${field} is ${text.length} characters, over the limit of ${limits.maxScheduleLength} set by --max-schedule-length; write a shorter ${field} (a range or a step such as 1-15 or */5 instead of a long list)`,
      field,
    );
  }
  for (const part of text.split(/\s+/)) {
    let entries = 1;
    for (let i = 0; i < part.length; i++) if (part.charCodeAt(i) === 44 /* , */) entries += 1;
    if (entries > MAX_CRON_LIST_ENTRIES) {
      throw new InvalidRequestError(
        code,
        `${field} has a cron field with ${entries} list entries; at most ${MAX_CRON_LIST_ENTRIES} (a field has no more values than that), so write a range or a step instead`,
        field,
      );
    }
  }
}

/** dueTime, ttl or an interval: its length, before it is parsed. */
export function checkDurationText(text: string, limits: RequestLimits, field: string, code: string): void {
  if (text.length > limits.maxDurationLength) {
    throw new InvalidRequestError(
      code,
      `${field} is ${text.length} characters, over the limit of ${limits.maxDurationLength} set by --max-duration-length; use a duration such as 1h30m or PT90M, or an RFC 3339 time`,
      field,
    );
  }
}

/** The parsed schedule may not tick more often than --min-interval allows. */
export function checkScheduleStep(schedule: Schedule, text: string, limits: RequestLimits, field: string, code: string): void {
  const step = shortestStepMs(schedule);
  if (step < limits.minIntervalMs) {
    throw new InvalidRequestError(
      code,
      `${field} "${text}" ticks every ${step}ms, more often than the least interval of ${limits.minIntervalMs}ms this server allows (--min-interval); use a ${field} of ${limits.minIntervalMs}ms or more, e.g. "@every ${limits.minIntervalMs}ms"`,
      field,
    );
  }
}

/** Retries may not come sooner than --min-interval, unless there are none. */
export function checkRetryInterval(policy: FailurePolicy, limits: RequestLimits, code: string): void {
  if (policy.kind === 'drop' || policy.maxRetries === 0) return;
  const [ms, field] =
    policy.kind === 'constant'
      ? [policy.intervalMs, 'failurePolicy.constant.interval']
      : [policy.initialIntervalMs, 'failurePolicy.exponential.initialInterval'];
  if (ms < limits.minIntervalMs) {
    throw new InvalidRequestError(
      code,
      `${field} is ${ms}ms, shorter than the least retry interval of ${limits.minIntervalMs}ms this server allows (--min-interval); retry after ${limits.minIntervalMs}ms or more, or set maxRetries to 0 for no retries`,
      field,
    );
  }
}
