// The arithmetic of a job's life, as pure functions of (definition, progress, now): where the
// first tick falls, what follows an outcome, when a retry is due, what catch-up skips.
// The engine calls these and commits what they return.

import { isFinished, type CatchUp, type FailurePolicy, type JobDefinition, type Progress, type TickOutcome } from '../model/job.js';
import type { Outcome } from '../model/trigger.js';
import type { Schedule } from '../schedule/index.js';

/** Progress of a job that has just been created (or overwritten). */
export function initialProgress(def: JobDefinition, schedule: Schedule | undefined): Progress {
  const first = def.dueAt ?? schedule?.next(def.createdAt);
  const tickAt = first !== undefined && withinTtl(def, first) ? first : undefined;
  return { rev: 1, count: 0, attempts: 0, tickAt, nextAt: tickAt, state: 'active' };
}

/** The tick after the one scheduled at `after`, or undefined when the job is finished. */
export function nextTickAfter(def: JobDefinition, schedule: Schedule | undefined, after: number, finished: number): number | undefined {
  if (def.repeats !== undefined && finished >= def.repeats) return undefined;
  const next = schedule?.next(after);
  if (next === undefined || !withinTtl(def, next)) return undefined;
  return next;
}

function withinTtl(def: JobDefinition, instant: number): boolean {
  return def.expiresAt === undefined || instant <= def.expiresAt;
}

/**
 * A copy of `progress` with `changes` applied, written out field by field. Not
 * `{ ...progress, ...changes }`: on Node 20 a spread copy that gains a property its source lacks
 * (lastTrigger after a job's first tick, the manual fields) takes a slow path of about 2 µs and
 * leaves an object with a map of its own, which then slows every read and JSON.stringify of it.
 * These run once per delivery. `satisfies` makes the compiler refuse a Progress field missing here.
 */
export function progressWith(progress: Progress, changes: Partial<Progress>): Progress {
  return {
    rev: 'rev' in changes ? changes.rev! : progress.rev,
    count: 'count' in changes ? changes.count! : progress.count,
    attempts: 'attempts' in changes ? changes.attempts! : progress.attempts,
    lastTrigger: 'lastTrigger' in changes ? changes.lastTrigger : progress.lastTrigger,
    tickAt: 'tickAt' in changes ? changes.tickAt : progress.tickAt,
    nextAt: 'nextAt' in changes ? changes.nextAt : progress.nextAt,
    state: 'state' in changes ? changes.state! : progress.state,
    manualAt: 'manualAt' in changes ? changes.manualAt : progress.manualAt,
    manualAttempts: 'manualAttempts' in changes ? changes.manualAttempts : progress.manualAttempts,
    manualNextAt: 'manualNextAt' in changes ? changes.manualNextAt : progress.manualNextAt,
    staged: 'staged' in changes ? changes.staged : progress.staged,
    finishedAt: 'finishedAt' in changes ? changes.finishedAt : progress.finishedAt,
  } satisfies Record<keyof Progress, unknown>;
}

/** Progress after the current regular tick finished (delivered or given up). */
export function finishTick(def: JobDefinition, schedule: Schedule | undefined, progress: Progress): Progress {
  const tickAt = progress.tickAt ?? progress.nextAt ?? def.createdAt;
  const count = progress.count + 1;
  const next = nextTickAfter(def, schedule, tickAt, count);
  return progressWith(progress, { rev: progress.rev + 1, count, attempts: 0, lastTrigger: tickAt, tickAt: next, nextAt: next });
}

/**
 * The delay before retry number `failures` (1 = after the first failed attempt), or undefined
 * when the policy gives the attempt up. `random` in [0,1) feeds exponential jitter.
 */
export function retryDelay(policy: FailurePolicy, failures: number, random: () => number): number | undefined {
  switch (policy.kind) {
    case 'drop':
      return undefined;
    case 'constant':
      if (policy.maxRetries !== undefined && failures > policy.maxRetries) return undefined;
      return policy.intervalMs;
    case 'exponential': {
      if (policy.maxRetries !== undefined && failures > policy.maxRetries) return undefined;
      const raw = policy.initialIntervalMs * policy.multiplier ** (failures - 1);
      const capped = Math.min(raw, policy.maxIntervalMs);
      return capped * (1 - policy.jitter * random());
    }
  }
}

/** Progress after a failed attempt of the regular tick: a retry, or the tick given up. */
export function failTick(
  def: JobDefinition,
  schedule: Schedule | undefined,
  progress: Progress,
  random: () => number,
): { progress: Progress; gaveUp: boolean } {
  const failures = progress.attempts + 1;
  const delay = retryDelay(def.failurePolicy, failures, random);
  if (delay === undefined) return { progress: finishTick(def, schedule, progress), gaveUp: true };
  // The retry is due at the failed attempt's due instant plus the interval (SPEC 2), rounded up
  // so it is never early.
  const failedAt = progress.nextAt ?? progress.tickAt ?? def.createdAt;
  return { progress: progressWith(progress, { rev: progress.rev + 1, attempts: failures, nextAt: Math.ceil(failedAt + delay) }), gaveUp: false };
}

/** Progress after the pending manual trigger was delivered or given up. */
export function finishManual(progress: Progress): Progress {
  return progressWith(progress, { rev: progress.rev + 1, manualAt: undefined, manualAttempts: undefined, manualNextAt: undefined });
}

export function failManual(def: JobDefinition, progress: Progress, random: () => number): { progress: Progress; gaveUp: boolean } {
  const failures = (progress.manualAttempts ?? 0) + 1;
  const delay = retryDelay(def.failurePolicy, failures, random);
  if (delay === undefined) return { progress: finishManual(progress), gaveUp: true };
  const failedAt = progress.manualNextAt ?? progress.manualAt ?? 0;
  return { progress: progressWith(progress, { rev: progress.rev + 1, manualAttempts: failures, manualNextAt: Math.ceil(failedAt + delay) }), gaveUp: false };
}

// Stepping through missed instants is bounded so a tiny @every after a long outage cannot stall
// the engine; past the bound the latest instant found is used.
const MAX_CATCH_UP_STEPS = 100_000;

/**
 * Applies the job's catch-up policy to a regular tick found overdue after downtime (or after a
 * resume): `all` keeps every missed tick, `one` keeps only the latest missed instant, `none`
 * skips to the first instant after now. A job without a schedule (one-shot) always fires.
 * Retries in progress are left alone. Returns the progress unchanged when nothing is skipped.
 */
export function applyCatchUp(def: JobDefinition, schedule: Schedule | undefined, progress: Progress, now: number): Progress {
  const policy: CatchUp = def.catchUp;
  if (policy === 'all' || !schedule || progress.attempts > 0) return progress;
  const tickAt = progress.tickAt;
  if (tickAt === undefined || tickAt >= now) return progress;
  let target: number | undefined;
  if (policy === 'none') {
    target = nextTickAfter(def, schedule, now, progress.count);
  } else {
    let latest = tickAt;
    for (let i = 0; i < MAX_CATCH_UP_STEPS; i++) {
      const n = schedule.next(latest);
      if (n === undefined || n > now || !withinTtl(def, n)) break;
      latest = n;
    }
    target = latest;
  }
  if (target === tickAt) return progress;
  // The revision is left to the caller, which bumps it once for the whole change it commits.
  return progressWith(progress, { tickAt: target, nextAt: target });
}

/**
 * Whether `progress` still has this attempt pending: the same tick (scheduled instant, regular or
 * manual) at the same attempt number, and the job not finished. Then an outcome of that attempt
 * applies to it as it would have to the progress the attempt went out from; another write (a
 * pause, resume or manual trigger of the other kind) changed what it leaves alone. Anything else
 * (the tick done, retried or moved by a catch-up) and the outcome is no longer this progress's.
 */
export function holdsAttempt(progress: Progress, attempt: { scheduledAt: number; attemptNumber: number; manualTick: boolean }): boolean {
  if (isFinished(progress)) return false;
  if (attempt.manualTick) return progress.manualAt === attempt.scheduledAt && (progress.manualAttempts ?? 0) === attempt.attemptNumber - 1;
  return progress.tickAt === attempt.scheduledAt && progress.attempts === attempt.attemptNumber - 1;
}

/**
 * What an attempt's outcome makes of the job's progress: the tick's recorded outcome, the next
 * progress (null: the job ends; for staged, the progress unchanged), and whether a regular tick
 * finished (its successor may be overdue, so the caller applies catch-up to it).
 */
export function progressAfterOutcome(
  def: JobDefinition,
  schedule: Schedule | undefined,
  progress: Progress,
  outcome: Outcome,
  manual: boolean,
  random: () => number,
): { tickOutcome: TickOutcome; next: Progress | null; finishedTick: boolean } {
  switch (outcome.kind) {
    case 'staged':
      return { tickOutcome: 'staged', next: progress, finishedTick: false };
    case 'cancel':
      return { tickOutcome: 'success', next: null, finishedTick: false };
    case 'done':
      return manual
        ? { tickOutcome: 'success', next: finishManual(progress), finishedTick: false }
        : { tickOutcome: 'success', next: finishTick(def, schedule, progress), finishedTick: true };
    case 'failed': {
      const failed = manual ? failManual(def, progress, random) : failTick(def, schedule, progress, random);
      return { tickOutcome: failed.gaveUp ? 'dropped' : 'failed', next: failed.progress, finishedTick: failed.gaveUp && !manual };
    }
    default:
      return unreachable(outcome);
  }
}

/** The compiler proves every Outcome kind is handled: a new kind fails the build here. */
function unreachable(outcome: never): never {
  throw new Error(`unhandled outcome ${JSON.stringify(outcome)}`);
}
