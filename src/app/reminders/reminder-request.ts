// Turns a create-reminder body (Dapr's {dueTime, period, ttl, data}, SPEC 6) into the job that
// carries the reminder, or throws InvalidRequestError naming the field. Pure: `now` and `uid` come
// from the caller.
//
// How the fields map onto a job (docs/reminders.md):
// - dueTime: the first tick; without it, a periodic reminder first fires one period after it was
//   created (as Dapr's scheduler-backed reminders do) and a one-shot reminder fires at once;
// - period: the schedule (reminder-period.ts), R<n>/... giving the total number of ticks;
// - ttl: the expiry; relative forms count from dueTime when one is set, else from now (SPEC 2).

import { DuetimeError, InvalidRequestError } from '../../core/errors.js';
import { DEFAULT_FAILURE_POLICY, DEFAULT_FAILURE_POLICY_SOURCE, isObject, parseFailurePolicy } from '../../core/model/failure-policy.js';
import type { JobDefinition, JobKey, Target } from '../../core/model/job.js';
import type { ActorReminder } from '../../core/model/target.js';
import { checkDurationText, checkScheduleStep, checkScheduleText, type RequestLimits } from '../../core/model/request-limits.js';
import { parseSchedule, resolveInstant } from '../../core/schedule/index.js';
import { CREATE_CODE, type Owner, type ReminderRef } from './reminder-keys.js';
import { planPeriod } from './reminder-period.js';

/** Body fields read; Dapr's SDKs may also repeat the URL's parts, which are ignored. */
const FIELDS = new Set(['dueTime', 'due_time', 'period', 'ttl', 'data', 'overwrite', 'failurePolicy', 'failure_policy']);
const IGNORED = new Set(['name', 'actorType', 'actorID', 'actorId', 'actor_type', 'actor_id']);

/** What the delivery side needs to call the actor, kept in the job's actor target (its reminder). */
export type ReminderSpec = ActorReminder;

export interface ReminderRequest {
  def: JobDefinition;
  overwrite: boolean;
}

/** `limits`: what a caller may ask for (core/model/request-limits.ts); the service always gives them. */
export function parseReminderRequest(key: JobKey, owner: Owner, ref: ReminderRef, body: unknown, now: number, uid: string, limits?: RequestLimits): ReminderRequest {
  if (body === undefined || body === null) body = {};
  if (!isObject(body)) {
    throw new InvalidRequestError('ERR_MALFORMED_REQUEST', 'the body must be a JSON object such as {"dueTime":"10s","period":"1m","data":{}}');
  }
  for (const field of Object.keys(body)) {
    if (!FIELDS.has(field) && !IGNORED.has(field)) {
      throw new InvalidRequestError(CREATE_CODE, `"${field}" is not a reminder field; known fields: dueTime, period, ttl, data, overwrite, failurePolicy`, field);
    }
  }
  // Lengths before any parsing (request-limits.ts).
  if (limits) {
    const text = (field: string, alias?: string): unknown => body[field] ?? (alias ? body[alias] : undefined);
    const period = text('period');
    if (typeof period === 'string') checkScheduleText(period, limits, 'period', CREATE_CODE);
    for (const [field, value] of [['dueTime', text('dueTime', 'due_time')], ['ttl', text('ttl')]] as const) {
      if (typeof value === 'string') checkDurationText(value, limits, field, CREATE_CODE);
    }
  }
  const dueTime = optionalString(body, 'dueTime', 'due_time');
  const period = optionalString(body, 'period');
  const ttl = optionalString(body, 'ttl');

  const dueAt = dueTime === undefined ? undefined : reworded(() => resolveInstant(dueTime, now, 'dueTime'));
  const plan = period === undefined ? undefined : planPeriod(period, dueAt ?? now);
  const planned = plan === undefined ? undefined : parseSchedule(plan.schedule);
  if (limits && planned && period !== undefined) checkScheduleStep(planned, period, limits, 'period', CREATE_CODE);
  // A one-shot reminder without dueTime fires at once.
  const firstAt = dueAt ?? (plan === undefined ? now : undefined);

  let expiresAt: number | undefined;
  if (ttl !== undefined) {
    expiresAt = reworded(() => resolveInstant(ttl, dueAt ?? now, 'ttl'));
    // Without dueTime a periodic reminder first fires one period on.
    if (expiresAt < (firstAt ?? planned?.next(now) ?? now)) {
      throw new InvalidRequestError(CREATE_CODE, 'ttl expires before the reminder first fires; set a later ttl or an earlier dueTime', 'ttl');
    }
  }

  const policySource = body.failurePolicy ?? body.failure_policy;
  const failurePolicy = policySource === undefined || policySource === null ? DEFAULT_FAILURE_POLICY : reworded(() => parseFailurePolicy(policySource, limits));

  const overwrite = body.overwrite ?? true;
  if (typeof overwrite !== 'boolean') throw new InvalidRequestError(CREATE_CODE, 'overwrite must be true or false (default true)', 'overwrite');

  const reminder: ReminderSpec = {
    name: ref.name,
    appId: owner.appId,
    ...(dueTime !== undefined ? { dueTime } : {}),
    ...(period !== undefined ? { period } : {}),
    ...(ttl !== undefined ? { ttl } : {}),
  };
  const target: Target = { kind: 'actor', type: ref.actorType, id: ref.actorId, reminder };
  const def: JobDefinition = {
    key,
    uid,
    createdAt: now,
    ...(plan !== undefined ? { schedule: plan.schedule } : {}),
    ...(firstAt !== undefined ? { dueTime: dueTime ?? new Date(firstAt).toISOString(), dueAt: firstAt } : {}),
    ...(plan?.repeats !== undefined ? { repeats: plan.repeats } : {}),
    ...(ttl !== undefined ? { ttl, expiresAt } : {}),
    ...(body.data !== undefined ? { data: body.data } : {}),
    failurePolicy,
    failurePolicySource: policySource ?? DEFAULT_FAILURE_POLICY_SOURCE,
    target,
    catchUp: 'all',
  };
  return { def, overwrite };
}

/** The reminder part of an actor target, when the job is a reminder. */
export function reminderSpecOf(target: Target): ReminderSpec | undefined {
  return target.kind === 'actor' ? target.reminder : undefined;
}

function optionalString(body: Record<string, unknown>, field: string, alias?: string): string | undefined {
  const value = body[field] ?? (alias ? body[alias] : undefined);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidRequestError(CREATE_CODE, `${field} must be a string`, field);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

// The shared parsers speak of jobs (DAPR_SCHEDULER_SCHEDULE_JOB); a reminder error carries the
// reminder code with the same message and field.
function reworded<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof DuetimeError && error.kind === 'invalid') throw new InvalidRequestError(CREATE_CODE, error.message, error.field);
    throw error;
  }
}
