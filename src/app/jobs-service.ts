// The jobs use cases: what the HTTP and gRPC APIs call. Each writes the store first (durable
// before the caller hears success) and then tells the engine.

import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { DuetimeError, InvalidRequestError, JobNotFoundError, UnavailableError } from '../core/errors.js';
import type { Engine } from '../core/engine/engine.js';
import { initialProgress } from '../core/engine/progression.js';
import { isFinished, type DataRef, type JobDefinition, type JobKey, type JobRecord, type RawPayload, type Target } from '../core/model/job.js';
import { checkJobData, DEFAULT_DATA_LIMITS, type DataLimits } from '../core/model/job-data.js';
import { parseJobRequest } from '../core/model/job-request.js';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../core/model/request-limits.js';
import { validateName } from '../core/model/names.js';
import type { JobStore } from '../core/ports/job-store.js';
import type { TraceContext } from '../core/model/trace-context.js';
import type { Tracer } from '../core/ports/tracer.js';
import { parseSchedule } from '../core/schedule/index.js';
import type { AppQuota } from './app-quota.js';
import { toHistoryView, toJobView, type HistoryView, type JobView } from './job-view.js';
import type { JobPayloads } from './payloads/job-payloads.js';

export interface ListResult {
  jobs: JobView[];
  nextCursor?: string;
}

/** Checks a target against what this server can deliver to (components, apps); throws InvalidRequestError. */
export type TargetCheck = (target: Target, key: JobKey) => void;

export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_LIST_LIMIT = 100;
export const DEFAULT_HISTORY_LIMIT = 20;
/** --list-page-bytes: most bytes of jobs (their JSON) in one list page or one gRPC ListJobs answer. */
export const DEFAULT_LIST_PAGE_BYTES = 4 * 1024 * 1024;
/** Records read from the store first for a page; later reads are sized by what these weighed. */
const FIRST_READ = 16;

export interface JobsServiceOptions {
  /** --max-data-depth and --max-data-bytes, checked on every write. @defaultValue DEFAULT_DATA_LIMITS */
  dataLimits?: DataLimits;
  /** --list-page-bytes. @defaultValue DEFAULT_LIST_PAGE_BYTES */
  listPageBytes?: number;
  /** --min-interval, --max-schedule-length, --max-duration-length. @defaultValue DEFAULT_REQUEST_LIMITS */
  requestLimits?: RequestLimits;
  /** Per-app schedule rate and job count (app-quota.ts). @defaultValue none: no quota */
  quota?: AppQuota;
  /** Spans for schedule requests (--otlp-endpoint). @defaultValue none: the caller's trace context is stored as sent */
  tracer?: Tracer;
}

/** What a schedule request says besides its body. */
export interface ScheduleContext {
  /** The caller's W3C trace context (traceparent header or gRPC metadata), already checked. */
  trace?: TraceContext;
}

export class JobsService {
  constructor(
    private readonly store: JobStore,
    private readonly engine: Engine,
    private readonly clock: Clock,
    private readonly checkTarget: TargetCheck = defaultTargetCheck,
    /** Moves payloads to the jobStateStore and back (app/payloads). */
    private readonly payloads?: JobPayloads,
    options: JobsServiceOptions = {},
  ) {
    this.dataLimits = options.dataLimits ?? DEFAULT_DATA_LIMITS;
    this.listPageBytes = options.listPageBytes ?? DEFAULT_LIST_PAGE_BYTES;
    this.requestLimits = options.requestLimits ?? DEFAULT_REQUEST_LIMITS;
    this.quota = options.quota;
    this.tracer = options.tracer;
  }

  /** The data limits every write is held to (the gRPC edge names the depth one when decoding fails). */
  readonly dataLimits: DataLimits;
  private readonly listPageBytes: number;
  private readonly requestLimits: RequestLimits;
  private readonly quota: AppQuota | undefined;
  private readonly tracer: Tracer | undefined;

  /**
   * `rawData`: a non-JSON payload (gRPC), given instead of the body's `data`. `context.trace`: the
   * caller's trace context; stored with the job (as the schedule span's child when tracing).
   */
  schedule(key: JobKey, body: unknown, rawData?: RawPayload, context: ScheduleContext = {}): Promise<void> {
    // write()'s own promise, not one an async function would make to follow it (two more
    // microtask turns per schedule).
    if (!this.tracer) return this.write(key, body, rawData, context.trace);
    return this.traced(this.tracer, key, body, rawData, context.trace);
  }

  private async traced(tracer: Tracer, key: JobKey, body: unknown, rawData: RawPayload | undefined, trace: TraceContext | undefined): Promise<void> {
    const span = tracer.startSchedule(key, trace);
    try {
      await this.write(key, body, rawData, span.context);
    } catch (error) {
      span.end({ outcome: 'refused', error: true, detail: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    span.end({ outcome: 'scheduled' });
  }

  private write(key: JobKey, body: unknown, rawData: RawPayload | undefined, trace: TraceContext | undefined): Promise<void> {
    let checked: { def: JobDefinition; overwrite: boolean };
    let record: JobRecord | undefined;
    try {
      checked = this.checkRequest(key, body, rawData, trace);
      if (!this.quota?.countsJobs && !this.payloads?.hasStores) record = { def: checked.def, progress: initialProgressOf(checked.def) };
    } catch (error) {
      return Promise.reject(error); // a refusal is the promise's, as from the async path below
    }
    if (!record) return this.writeChecked(key, checked.def, checked.overwrite);
    // The usual schedule (no job-count quota, no jobStateStore) as one promise chain: an async
    // function here cost a promise and two awaits more per schedule.
    const created = record;
    return this.store.create(created, { overwrite: checked.overwrite, written: () => this.engine.upsert(created) }).then(answered);
  }

  /** The request as the definition to store, or throws the refusal (rate, fields, data, target). */
  private checkRequest(key: JobKey, body: unknown, rawData: RawPayload | undefined, trace: TraceContext | undefined): { def: JobDefinition; overwrite: boolean } {
    // The rate first: a flood is refused before any parsing work.
    this.quota?.takeSchedule(key, 'DAPR_SCHEDULER_SCHEDULE_JOB');
    const { def: parsed, overwrite } = parseJobRequest(key, body, this.clock.now(), randomUUID(), this.requestLimits);
    // parsed is this call's own object: copied only to add to it (a spread copy costs ~1 µs).
    const def = rawData || trace ? { ...parsed, ...(rawData ? { rawData } : {}), ...(trace ? { trace } : {}) } : parsed;
    checkJobData(def, this.dataLimits, 'DAPR_SCHEDULER_SCHEDULE_JOB');
    this.checkTarget(def.target, key);
    return { def, overwrite };
  }

  /** The job-count quota's check, and the jobStateStore's payload, around the create. */
  private async writeChecked(key: JobKey, def: JobDefinition, overwrite: boolean): Promise<void> {
    if (this.quota?.countsJobs) await this.quota.checkJobCount(key, 'DAPR_SCHEDULER_SCHEDULE_JOB', async () => overwrite && isLive(await this.store.get(key)));
    const progress = initialProgressOf(def);
    if (!this.payloads?.hasStores) {
      const record: JobRecord = { def, progress };
      await this.store.create(record, { overwrite, written: () => this.engine.upsert(record) });
      return;
    }
    // jobStateStore: the payload is saved first, the job after; a replaced job's payload goes last.
    // The replaced job is the store's answer, not a read before the write: of two writes of one
    // job at once (here or on another replica) each discards the payload of the job it replaced.
    const record: JobRecord = { def: await this.payloads.externalize(def, 'DAPR_SCHEDULER_SCHEDULE_JOB'), progress };
    let replaced: JobDefinition | undefined;
    try {
      replaced = await this.store.create(record, { overwrite, written: () => this.engine.upsert(record) });
    } catch (error) {
      // A refusal (the name is taken, a quota) wrote nothing: the payload goes. Any other failure
      // may have come after the write (an answer lost to a deadline): the payload goes only if
      // the store shows it did not, else the stored job would refer to a payload that is gone.
      if (error instanceof DuetimeError && !(error instanceof UnavailableError)) void this.payloads.discard(record.def.dataRef, 'refused');
      else void this.discardUnlessStored(record);
      throw error;
    }
    void this.payloads.discard(replaced?.dataRef, 'overwritten');
  }

  /**
   * A job, or a finished job's tombstone (state completed or failed) unless hideFinished: Dapr's
   * own wire (the gRPC APIs) has no status to tell a tombstone apart, so there it is not found,
   * as in Dapr.
   */
  async get(key: JobKey, options: { hideFinished?: boolean } = {}): Promise<JobView> {
    validateName(key.name);
    const record = await this.store.get(key);
    if (!record || (options.hideFinished && isFinished(record.progress))) throw new JobNotFoundError(key.name);
    try {
      // A tombstone's jobStateStore payload went when it finished (finished-payloads.ts): shown without it.
      return toJobView(await this.withPayload(record, isFinished(record.progress) ? undefined : 'DAPR_SCHEDULER_GET_JOB'));
    } catch (error) {
      // An overwrite or delete that landed after the read discards the payload read for: the job
      // as it is now is the answer (once), not a 503 for a job that existed all along.
      const now = await this.store.get(key);
      if (now?.def.uid === record.def.uid) throw error;
      if (!now || (options.hideFinished && isFinished(now.progress))) throw new JobNotFoundError(key.name);
      return toJobView(await this.withPayload(now, isFinished(now.progress) ? undefined : 'DAPR_SCHEDULER_GET_JOB'));
    }
  }

  async delete(key: JobKey): Promise<void> {
    validateName(key.name);
    const mark = this.engine.upsertMark();
    // The payload discarded is that of the job the store deleted (its answer), as in writeChecked.
    const deleted = await this.store.delete(key, { written: () => this.engine.remove(key, mark) });
    void this.payloads?.discard(deleted?.dataRef, 'deleted');
  }

  /** One page of the app's jobs; tombstones are listed with their state unless hideFinished (a page may then hold fewer). */
  async list(namespace: string, appId: string, options: { prefix?: string; limit?: number; cursor?: string; hideFinished?: boolean }): Promise<ListResult> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new InvalidRequestError('DAPR_SCHEDULER_LIST_JOBS', `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`, 'limit');
    }
    if (options.prefix) validateName(options.prefix, 'prefix');
    const { jobs, nextCursor } = await this.page(namespace, appId, { ...options, limit });
    return { jobs, ...(nextCursor !== undefined ? { nextCursor } : {}) };
  }

  /**
   * Every job of the app (gRPC ListJobs, which has no pages), as long as they come to at most
   * --list-page-bytes; more is RESOURCE_EXHAUSTED, read no further than the budget.
   */
  async listEvery(namespace: string, appId: string, options: { hideFinished?: boolean } = {}): Promise<JobView[]> {
    const all: JobView[] = [];
    let bytes = 0;
    let cursor: string | undefined;
    do {
      const page = await this.page(namespace, appId, { limit: MAX_LIST_LIMIT, ...options, ...(cursor !== undefined ? { cursor } : {}) });
      bytes += page.bytes;
      if (bytes > this.listPageBytes) {
        throw new DuetimeError(
          'too-large',
          'DAPR_SCHEDULER_LIST_JOBS',
          `the app's jobs come to more than ${this.listPageBytes} bytes, the limit of one answer set by --list-page-bytes; ListJobs has no pages, so list them with HTTP GET /v1.0/jobs (paged by limit and cursor), or raise --list-page-bytes`,
        );
      }
      all.push(...page.jobs);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return all;
  }

  /**
   * One page: at most `limit` records read, and jobs whose JSON comes to at most --list-page-bytes
   * (always at least one job, however large). The store is read a few records at a time, sized by
   * what the records read so far weighed, so a page of large jobs never holds `limit` of them in
   * memory. A page cut short by bytes ends with a cursor, as one cut short by `limit` does.
   */
  private async page(
    namespace: string,
    appId: string,
    options: { prefix?: string; limit: number; cursor?: string; hideFinished?: boolean },
  ): Promise<{ jobs: JobView[]; nextCursor?: string; bytes: number }> {
    const budget = this.listPageBytes;
    const jobs: JobView[] = [];
    let bytes = 0;
    let read = 0;
    let after = options.cursor || undefined;
    let want = Math.min(options.limit, FIRST_READ);
    for (;;) {
      const page = await this.store.list(namespace, appId, {
        limit: want,
        ...(options.prefix ? { prefix: options.prefix } : {}),
        ...(after !== undefined ? { after } : {}),
      });
      const shown = options.hideFinished ? page.records.filter((record) => !isFinished(record.progress)) : page.records;
      const loaded = await Promise.all(shown.map((record) => this.withPayload(record, isFinished(record.progress) ? undefined : 'DAPR_SCHEDULER_LIST_JOBS')));
      const views = new Map(loaded.map((record) => [record.def.key.name, toJobView(record)]));
      for (const record of page.records) {
        const name = record.def.key.name;
        const view = views.get(name);
        const size = view ? jsonBytes(view) : 0;
        if (view && size !== undefined) {
          if (jobs.length > 0 && bytes + size > budget) return { jobs, nextCursor: after ?? name, bytes };
          jobs.push(view);
          bytes += size;
        }
        // A job hidden, or whose data cannot be written as JSON (nested deeper than
        // JSON.stringify goes, stored before --max-data-depth), is passed over, not a failed list.
        after = name;
        read += 1;
      }
      if (page.next === undefined) return { jobs, bytes };
      after = page.next;
      if (read >= options.limit || bytes >= budget) return { jobs, nextCursor: page.next, bytes };
      const average = jobs.length > 0 ? bytes / jobs.length : 0;
      const fit = average > 0 ? Math.floor((budget - bytes) / average) + 1 : want * 2;
      want = Math.max(1, Math.min(options.limit - read, fit));
    }
  }

  async deleteByPrefix(namespace: string, appId: string, prefix: string): Promise<number> {
    if (prefix) validateName(prefix, 'prefix');
    const mark = this.engine.upsertMark();
    const payloads = this.payloads?.hasStores ? this.payloads : undefined;
    if (!payloads) {
      return await this.store.deleteByPrefix(namespace, appId, prefix, { written: () => this.engine.removeByPrefix(namespace, appId, prefix, mark) });
    }
    // The payloads discarded are those of the jobs the store says it deleted, not of a list read
    // before: a job created or overwritten meanwhile is deleted with its own payload.
    const refs: DataRef[] = [];
    const onDeleted = (def: JobDefinition): void => {
      if (def.dataRef) refs.push(def.dataRef);
    };
    try {
      return await this.store.deleteByPrefix(namespace, appId, prefix, { onDeleted, written: () => this.engine.removeByPrefix(namespace, appId, prefix, mark) });
    } finally {
      // Also when the store failed part way: what it reported is deleted, and so is its payload.
      for (const ref of refs) void payloads.discard(ref, 'deleted');
    }
  }

  async pause(key: JobKey): Promise<JobView> {
    validateName(key.name);
    return toJobView(await this.withPayload(await this.engine.pause(key)));
  }

  async resume(key: JobKey): Promise<JobView> {
    validateName(key.name);
    return toJobView(await this.withPayload(await this.engine.resume(key)));
  }

  async trigger(key: JobKey): Promise<JobView> {
    validateName(key.name);
    return toJobView(await this.withPayload(await this.engine.triggerNow(key)));
  }

  async history(key: JobKey, limit = DEFAULT_HISTORY_LIMIT): Promise<HistoryView[]> {
    validateName(key.name);
    if (!(await this.store.get(key))) throw new JobNotFoundError(key.name);
    return (await this.store.history(key, limit)).map(toHistoryView);
  }

  /**
   * The record with its jobStateStore payload read back. With an error code, a read failure is
   * that error (503); without one (pause, resume, trigger: the change is made) the view goes
   * without data.
   */
  private async withPayload(record: JobRecord, code?: string): Promise<JobRecord> {
    if (!this.payloads || !record.def.dataRef) return record;
    try {
      return { ...record, def: await this.payloads.inline(record.def, code ?? 'DAPR_SCHEDULER_GET_JOB') };
    } catch (error) {
      if (code) throw error;
      return record;
    }
  }

  /** Discards a failed create's payload unless the store holds that job (read again; kept when the read fails too). */
  private async discardUnlessStored(record: JobRecord): Promise<void> {
    try {
      const stored = await this.store.get(record.def.key);
      if (stored?.def.uid !== record.def.uid) void this.payloads?.discard(record.def.dataRef, 'refused');
    } catch {
      // Not known whether it was written: a payload left behind costs less than a job without its data.
    }
  }
}

/** Bytes of a job as JSON; undefined when it cannot be written as JSON at all (too deep). */
function jsonBytes(view: JobView): number | undefined {
  try {
    return Buffer.byteLength(JSON.stringify(view), 'utf8');
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function defaultTargetCheck(target: Target): void {
  if (target.kind !== 'app') {
    const type = target.kind === 'unreadable' ? target.type : target.kind;
    throw new InvalidRequestError(
      'DAPR_SCHEDULER_SCHEDULE_JOB',
      `target "${type}" needs a component or registry this server does not have; use the default app target`,
      `target.${type}`,
    );
  }
}

function initialProgressOf(def: JobDefinition): ReturnType<typeof initialProgress> {
  return initialProgress(def, def.schedule ? parseSchedule(def.schedule) : undefined);
}

function isLive(record: JobRecord | undefined): boolean {
  return record !== undefined && !isFinished(record.progress);
}

/** A schedule's answer once the store has the job (the engine was told by the store's WriteNotice). */
function answered(): void {}
