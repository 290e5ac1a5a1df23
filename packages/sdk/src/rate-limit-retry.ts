// Waiting out a per-app schedule quota. A server answers 429 (gRPC RESOURCE_EXHAUSTED with
// `retry-after`) when an app schedules faster than its --schedule-rate-per-app, and writes
// nothing then, so sending the same request again after the wait it names is always safe. Both
// clients do that a bounded number of times before they let the error through, so that a burst
// of schedules (an import, a backfill) slows to the server's pace instead of failing part-way.

import { DuetimeApiError } from './api-error.js';

/** How many times a client waits out a 429 before throwing it. */
export const DEFAULT_RATE_LIMIT_RETRIES = 3;

/** A server's wait is at most this long, whatever it says: a client never hangs for minutes. */
const LONGEST_WAIT_MS = 60_000;

/** Runs `attempt`, and again after each rate-limit answer's wait, at most `retries` more times. */
export async function withRateLimitRetries<T>(retries: number, attempt: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited += 1) {
    try {
      return await attempt();
    } catch (error) {
      const waitMs = error instanceof DuetimeApiError && error.status === 429 ? error.retryAfterMs : undefined;
      if (waitMs === undefined || waited >= retries) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, LONGEST_WAIT_MS)));
    }
  }
}

/** Retry-After in whole seconds (the only form Duetime sends), as milliseconds; else undefined. */
export function retryAfterMs(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
}
