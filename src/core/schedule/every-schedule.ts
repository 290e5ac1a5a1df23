// @every <duration>: a constant delay after the previous instant, blind to calendars and zones.
import { MAX_INSTANT } from './limits.js';
import type { Schedule } from './schedule.js';

export class EverySchedule implements Schedule {
  /** `delayMs`: a whole number of milliseconds, at least 1. */
  constructor(readonly delayMs: number) {}

  next(after: number): number | undefined {
    const at = Math.ceil(after + this.delayMs);
    return Number.isFinite(at) && at <= MAX_INSTANT ? at : undefined;
  }
}
