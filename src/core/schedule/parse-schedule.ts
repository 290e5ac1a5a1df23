// The schedule grammar (SPEC section 3): six-field cron with seconds first, descriptors such as
// @daily, @every <Go duration>, and an optional CRON_TZ=<zone> or TZ=<zone> prefix.
import { parseCalendarPeriod } from './calendar-period.js';
import { CronSchedule } from './cron-schedule.js';
import { toCronerPattern } from './cron-fields.js';
import { EverySchedule } from './every-schedule.js';
import { invalidField } from './field-error.js';
import { parseGoDuration } from './go-duration.js';
import type { Schedule } from './schedule.js';
import { canonicalTimeZone } from './time-zone.js';

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};
const ZONE_PREFIX = /^(CRON_TZ|TZ)=(\S*)(?:\s+([\s\S]*))?$/i;
const FORMS =
  'use six cron fields, seconds first (second minute hour day-of-month month day-of-week, e.g. "0 30 9 * * MON-FRI"), ' +
  'a descriptor (@yearly, @monthly, @weekly, @daily, @hourly) or "@every 1h30m"';
// Any date from here on would do: a cron pattern repeats at least every 400 years.
const NEVER_FIRES_PROBE = Date.UTC(2000, 0, 1);

/** Parses a schedule; throws InvalidRequestError (field "schedule") saying what to fix. */
export function parseSchedule(expr: string): Schedule {
  // Requests are JSON: guard against a number or object reaching here as a 500.
  if (typeof expr !== 'string') throw invalidField('schedule', `schedule must be a string; ${FORMS}`);
  const text = expr.trim();
  const fail = (detail: string) => invalidField('schedule', `schedule "${expr}" ${detail}`);
  if (text === '') throw invalidField('schedule', `schedule is empty; ${FORMS}`);

  let zone = 'UTC';
  let prefix = '';
  let body = text;
  const zoned = ZONE_PREFIX.exec(text);
  if (zoned !== null) {
    const name = zoned[2] ?? '';
    body = (zoned[3] ?? '').trim();
    prefix = `${zoned[1]}=${name} `;
    const canonical = canonicalTimeZone(name);
    if (canonical === undefined) {
      throw fail(`names an unknown time zone "${name}"; use an IANA name such as America/New_York, Europe/Berlin or UTC`);
    }
    if (body === '') throw fail(`has a time zone but no schedule after it; ${FORMS}`);
    if (/^@every(\s|$)/i.test(body)) {
      throw fail(`puts a time zone before @every, which counts elapsed time and takes none; drop "${prefix.trim()}"`);
    }
    zone = canonical;
  }

  if (body.startsWith('@')) {
    const every = /^@every(?:\s+([\s\S]*))?$/i.exec(body);
    if (every !== null) {
      const rest = every[1]?.trim() ?? '';
      // "@every P1M from <instant>": a calendar period (docs/reminders.md), the form reminders use.
      if (/^P/i.test(rest)) return calendarSchedule(rest, fail);
      return everySchedule(rest, fail);
    }
    const pattern = DESCRIPTORS[body.toLowerCase()];
    if (pattern === undefined) throw fail(`has an unknown descriptor; ${FORMS}`);
    return new CronSchedule(pattern, zone);
  }

  const fields = body.split(/\s+/);
  if (fields.length === 5) {
    throw fail(`has 5 fields; Duetime cron takes 6, seconds first: "${prefix}0 ${fields.join(' ')}"`);
  }
  if (fields.length === 1) throw fail(`is not a cron expression or descriptor; ${FORMS}`);
  if (fields.length !== 6) {
    throw fail(`has ${fields.length} fields; Duetime cron takes exactly 6, seconds first: second minute hour day-of-month month day-of-week, e.g. "0 30 9 * * MON-FRI"`);
  }
  let schedule: CronSchedule;
  try {
    schedule = new CronSchedule(toCronerPattern(fields), zone);
  } catch (error) {
    throw fail(`is not valid: ${(error as Error).message.replace(/^CronPattern: /, '')}`);
  }
  if (schedule.next(NEVER_FIRES_PROBE) === undefined) {
    throw fail('never fires: no date matches its day-of-month, month and day-of-week together; check those fields');
  }
  return schedule;
}

function calendarSchedule(text: string, fail: (detail: string) => Error): Schedule {
  try {
    return parseCalendarPeriod(text);
  } catch (error) {
    throw fail(`is not valid: ${(error as Error).message}`);
  }
}

function everySchedule(durationText: string, fail: (detail: string) => Error): Schedule {
  if (durationText === '') throw fail('needs a duration after @every, e.g. "@every 1h30m" or "@every 500ms"');
  let delayMs: number;
  try {
    delayMs = parseGoDuration(durationText);
  } catch (error) {
    throw fail(`is not valid: ${(error as Error).message}`);
  }
  if (delayMs < 1) throw fail('is too short: @every needs a duration of at least 1ms, e.g. "@every 500ms"');
  if (!Number.isInteger(delayMs)) throw fail('must be a whole number of milliseconds, e.g. "@every 1500ms"');
  return new EverySchedule(delayMs);
}
