// The schedule grammar and time arithmetic of the core: pure functions, no I/O.
export type { Schedule } from './schedule.js';
export { parseSchedule } from './parse-schedule.js';
export { parseGoDuration, parseIsoDuration, parseIsoRepeating, addIsoDuration, hasCalendarPart, isoTimePartMs } from './durations.js';
export type { IsoDuration, IsoRepeating } from './durations.js';
export { resolveInstant, parseIntervalMs } from './instants.js';
export { canonicalTimeZone } from './time-zone.js';
export { SCHEDULE_JOB_CODE } from './field-error.js';
export { shortestStepMs } from './shortest-step.js';
