// Turns a schedule-job request body (SPEC 2) into a JobDefinition, or throws an
// InvalidRequestError naming the field and the fix. Pure: `now` and `uid` come from the caller.

import { InvalidRequestError } from '../errors.js';
import { parseSchedule, resolveInstant, type Schedule } from '../schedule/index.js';
import { DEFAULT_FAILURE_POLICY, DEFAULT_FAILURE_POLICY_SOURCE, isObject, parseFailurePolicy } from './failure-policy.js';
import type { CatchUp, JobDefinition, JobKey } from './job.js';
import { validateName } from './names.js';
import { checkDurationText, checkScheduleStep, checkScheduleText, type RequestLimits } from './request-limits.js';
import { parseTargetRequest } from './target.js';

const CODE = 'DAPR_SCHEDULER_SCHEDULE_JOB';

/** Accepted body fields, with Dapr's snake_case spellings. */
const FIELDS = new Set(['schedule', 'dueTime', 'due_time', 'repeats', 'ttl', 'data', 'overwrite', 'failurePolicy', 'failure_policy', 'target', 'catchUp', 'catch_up']);

export interface JobRequest {
  def: JobDefinition;
  overwrite: boolean;
}

/**
 * `limits`: what a caller may ask for (request-limits.ts), given by the services for every job a
 * caller writes; left out only for jobs the server builds from its own configuration (cron bindings).
 */
export function parseJobRequest(key: JobKey, body: unknown, now: number, uid: string, limits?: RequestLimits): JobRequest {
  validateName(key.name);
  if (!isObject(body)) {
    throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'the body must be a JSON object such as {"schedule":"@every 10s","data":{}}');
  }
  if ('name' in body) {
    throw new InvalidRequestError('DAPR_SCHEDULER_JOB_NAME', 'the job name goes in the URL (/v1.0/jobs/{name}); remove "name" from the body', 'name');
  }
  for (const field of Object.keys(body)) {
    if (!FIELDS.has(field)) {
      throw new InvalidRequestError(CODE, `"${field}" is not a job field; known fields: ${[...FIELDS].join(', ')}`, field);
    }
  }
  // Lengths before any parsing: a megabyte of cron or digits must cost nothing.
  const length = (field: string, alias: string | undefined, check: typeof checkDurationText): void => {
    const value = body[field] ?? (alias ? body[alias] : undefined);
    if (limits && typeof value === 'string') check(value, limits, field, CODE);
  };
  length('schedule', undefined, checkScheduleText);
  length('dueTime', 'due_time', checkDurationText);
  length('ttl', undefined, checkDurationText);
  const schedule = optionalString(body, 'schedule');
  const dueTime = optionalString(body, 'dueTime', 'due_time');
  if (schedule === undefined && dueTime === undefined) {
    throw new InvalidRequestError('DAPR_SCHEDULER_SCHEDULE_EMPTY', 'a job needs a schedule, a dueTime, or both', 'schedule');
  }
  const parsedSchedule: Schedule | undefined = schedule === undefined ? undefined : parseSchedule(schedule);
  if (limits && parsedSchedule && schedule !== undefined) checkScheduleStep(parsedSchedule, schedule, limits, 'schedule', CODE);
  const dueAt = dueTime === undefined ? undefined : resolveInstant(dueTime, now, 'dueTime');

  const repeats = body.repeats;
  if (repeats !== undefined && repeats !== null) {
    if (typeof repeats !== 'number' || !Number.isInteger(repeats) || repeats < 1 || repeats > 2 ** 32 - 1) {
      throw new InvalidRequestError(CODE, 'repeats must be a whole number >= 1 (leave it out to repeat without limit)', 'repeats');
    }
    if (repeats > 1 && schedule === undefined) {
      throw new InvalidRequestError(CODE, `repeats is ${repeats} but the job has no schedule to repeat on; add a schedule or drop repeats`, 'repeats');
    }
  }

  const ttl = optionalString(body, 'ttl');
  let expiresAt: number | undefined;
  if (ttl !== undefined) {
    if (schedule === undefined) {
      throw new InvalidRequestError(CODE, 'ttl needs a schedule: a one-shot job ends after its dueTime anyway; add a schedule or drop ttl', 'ttl');
    }
    expiresAt = resolveInstant(ttl, dueAt ?? now, 'ttl');
    if (dueAt !== undefined && expiresAt < dueAt) {
      throw new InvalidRequestError(CODE, 'ttl expires before dueTime; set a later ttl or an earlier dueTime', 'ttl');
    }
    // A ttl that ends before the first tick would leave a job that silently never fires.
    const firstAt = dueAt ?? parsedSchedule?.next(now);
    if (firstAt === undefined || expiresAt < firstAt) {
      const first = firstAt === undefined ? 'the schedule has no tick' : `the first tick is at ${new Date(firstAt).toISOString()}`;
      throw new InvalidRequestError(CODE, `ttl "${ttl}" ends at ${new Date(expiresAt).toISOString()}, before the job would ever fire (${first}); set a ttl that ends after the first tick, or add an earlier dueTime`, 'ttl');
    }
  }

  const policySource = body.failurePolicy ?? body.failure_policy;
  const failurePolicy = policySource === undefined || policySource === null ? DEFAULT_FAILURE_POLICY : parseFailurePolicy(policySource, limits);

  const overwrite = body.overwrite ?? false;
  if (typeof overwrite !== 'boolean') throw new InvalidRequestError(CODE, 'overwrite must be true or false', 'overwrite');

  const { target, source: targetSource } = parseTargetRequest(body.target);
  const catchUp = parseCatchUp(body.catchUp ?? body.catch_up);

  // Built field by field, in this order, rather than as a literal of conditional spreads: each
  // spread copy is a slow path, and together they cost about 1.8 µs per schedule (Node 20).
  const def = { key, uid, createdAt: now } as JobDefinition;
  if (schedule !== undefined) def.schedule = schedule;
  if (dueTime !== undefined) {
    def.dueTime = dueTime;
    def.dueAt = dueAt;
  }
  if (typeof repeats === 'number') def.repeats = repeats;
  if (ttl !== undefined) {
    def.ttl = ttl;
    def.expiresAt = expiresAt;
  }
  if (body.data !== undefined) def.data = body.data;
  def.failurePolicy = failurePolicy;
  def.failurePolicySource = policySource ?? DEFAULT_FAILURE_POLICY_SOURCE;
  def.target = target;
  if (targetSource !== undefined) def.targetSource = targetSource;
  def.catchUp = catchUp;
  return { def, overwrite };
}

function optionalString(body: Record<string, unknown>, field: string, alias?: string): string | undefined {
  const value = body[field] ?? (alias ? body[alias] : undefined);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidRequestError(CODE, `${field} must be a string`, field);
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return trimmed;
}

function parseCatchUp(raw: unknown): CatchUp {
  if (raw === undefined || raw === null) return 'all';
  if (raw === 'all' || raw === 'one' || raw === 'none') return raw;
  throw new InvalidRequestError(CODE, 'catchUp must be "all" (replay every missed tick), "one" (only the latest) or "none"', 'catchUp');
}
