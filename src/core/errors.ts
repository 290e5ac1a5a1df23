// Errors the core raises, as a few classes with Dapr's error codes. Which HTTP or gRPC status a
// kind maps to is decided only at the edge (api/), never here.

/**
 * `conflict`: the request clashes with what is stored (a name taken). `aborted`: a write lost a
 * race with other writers of the same job more times than it retries; sending it again may
 * succeed. `quota`: one app asked for more than its share (a rate, a count); try again later.
 * `unavailable`: a dependency (the store, a broker) cannot be reached or written now.
 */
export type ErrorKind = 'invalid' | 'not-found' | 'conflict' | 'aborted' | 'too-large' | 'quota' | 'unauthenticated' | 'forbidden' | 'unavailable' | 'internal';

export class DuetimeError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Dapr's error code, e.g. DAPR_SCHEDULER_SCHEDULE_EMPTY. */
    readonly code: string,
    message: string,
    /** The request field at fault, when one is. */
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: names the field and says how to fix it. */
export class InvalidRequestError extends DuetimeError {
  constructor(code: string, message: string, field?: string) {
    super('invalid', code, message, field);
  }
}

export class JobNotFoundError extends DuetimeError {
  constructor(name: string, code = 'DAPR_SCHEDULER_GET_JOB') {
    super('not-found', code, `job "${name}" not found`);
  }
}

/** The job has finished (its tombstone is kept to be read): it cannot be paused, resumed or triggered. */
export class JobFinishedError extends DuetimeError {
  constructor(name: string, state: string) {
    super('conflict', 'ERR_JOB_FINISHED', `job "${name}" has finished (${state}); schedule it again under its name to run it again`);
  }
}

export class JobExistsError extends DuetimeError {
  constructor(name: string) {
    super('conflict', 'DAPR_SCHEDULER_SCHEDULE_JOB', `job "${name}" already exists; send "overwrite": true to replace it`, 'overwrite');
  }
}

/** One app is over a per-app quota (app/app-quota.ts); nothing was written. */
export class QuotaExceededError extends DuetimeError {
  constructor(
    code: string,
    message: string,
    /** When trying again may succeed, in ms (HTTP Retry-After, gRPC RetryInfo). */
    readonly retryAfterMs: number,
  ) {
    super('quota', code, message);
  }
}

export class UnavailableError extends DuetimeError {
  constructor(code: string, message: string) {
    super('unavailable', code, message);
  }
}

/** A write to the job store kept losing races with other writers of the same job; retry it. */
export class StoreConflictError extends DuetimeError {
  constructor(message: string) {
    super('aborted', 'ERR_STORE_CONFLICT', message);
  }
}

/** The job store cannot be read or written now (I/O error, disk full, locked, etcd unreachable). */
export class StoreUnavailableError extends UnavailableError {
  constructor(message: string) {
    super('ERR_STORE_UNAVAILABLE', message);
  }
}
