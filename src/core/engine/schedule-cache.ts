import { parseSchedule, type Schedule } from '../schedule/index.js';

// Many jobs share a handful of expressions; parsing once per expression keeps next() cheap.
const MAX_ENTRIES = 10_000;

export class ScheduleCache {
  private cache = new Map<string, Schedule>();

  get(expr: string | undefined): Schedule | undefined {
    if (expr === undefined) return undefined;
    let schedule = this.cache.get(expr);
    if (!schedule) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
      schedule = parseSchedule(expr);
      this.cache.set(expr, schedule);
    }
    return schedule;
  }
}
