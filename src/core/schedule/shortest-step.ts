// The shortest time a schedule can leave between two ticks, for the least-interval rule
// (--min-interval, core/model/request-limits.ts). A lower bound, exact where it matters: @every
// and elapsed-time periods give their step; cron matches whole seconds, so at most once a second;
// a period with a calendar part (days, weeks, months, years) is a day or more.
import { CalendarPeriodSchedule } from './calendar-period.js';
import { CronSchedule } from './cron-schedule.js';
import { EverySchedule } from './every-schedule.js';
import { hasCalendarPart, isoTimePartMs } from './iso-duration.js';
import { DAY_MS } from './limits.js';
import type { Schedule } from './schedule.js';

const CRON_RESOLUTION_MS = 1000;

export function shortestStepMs(schedule: Schedule): number {
  if (schedule instanceof EverySchedule) return schedule.delayMs;
  if (schedule instanceof CalendarPeriodSchedule) {
    return hasCalendarPart(schedule.period) ? DAY_MS : isoTimePartMs(schedule.period);
  }
  if (schedule instanceof CronSchedule) return CRON_RESOLUTION_MS;
  return 0;
}
