// The jobs use cases: what the HTTP and gRPC APIs call. Each writes the store first (durable
// before the caller hears success) and then tells the engine.

import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { InvalidRequestError, JobNotFoundError } from '../core/errors.js';
import type { Engine } from '../core/engine/engine.js';
import { initialProgress } from '../core/engine/progression.js';
import { isFinished, type DataRef, type JobKey, type JobRecord, type RawPayload, type Target } from '../core/model/job.js';
import { parseJobRequest } from '../core/model/job-request.js';
import { validateName } from '../core/model/names.js';
import type { JobStore } from '../core/ports/job-store.js';
import { parseSchedule } from '../core/schedule/index.js';
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

export class JobsService {
  constructor(
    private readonly store: JobStore,
    private readonly engine: Engine,
    private readonly clock: Clock,
    private readonly checkTarget: TargetCheck = defaultTargetCheck,
    /** Moves payloads to the jobStateStore and back (app/payloads). */
    private readonly payloads?: JobPayloads,
  ) {}

  /** `rawData`: a non-JSON payload (gRPC), given instead of the body's `data`. */
  async schedule(key: JobKey, body: unknown, rawData?: RawPayload): Promise<void> {
    const { def: parsed, overwrite } = parseJobRequest(key, body, this.clock.now(), randomUUID());
    const def = rawData ? { ...parsed, rawData } : parsed;
    this.checkTarget(def.target, key);
    const progress = initialProgress(def, def.schedule ? parseSchedule(def.schedule) : undefined);
    if (!this.payloads?.hasStores) {
      const record: JobRecord = { def, progress };
      await this.store.create(record, { overwrite });
      this.engine.upsert(record);
      return;
    }
    // jobStateStore: the payload is saved first, the job after; a replaced job's payload goes last.
    const record: JobRecord = { def: await this.payloads.externalize(def, 'DAPR_SCHEDULER_SCHEDULE_JOB'), progress };
    const previous = overwrite ? await this.store.get(key) : undefined;
    try {
      await this.store.create(record, { overwrite });
    } catch (error) {
      void this.payloads.discard(record.def.dataRef, 'refused');
      throw error;
    }
    this.engine.upsert(record);
    void this.payloads.discard(previous?.def.dataRef, 'overwritten');
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
    // A tombstone's jobStateStore payload went when it finished (finished-payloads.ts): shown without it.
    return toJobView(await this.withPayload(record, isFinished(record.progress) ? undefined : 'DAPR_SCHEDULER_GET_JOB'));
  }

  async delete(key: JobKey): Promise<void> {
    validateName(key.name);
    const previous = this.payloads?.hasStores ? await this.store.get(key) : undefined;
    await this.store.delete(key);
    this.engine.remove(key);
    void this.payloads?.discard(previous?.def.dataRef, 'deleted');
  }

  /** One page of the app's jobs; tombstones are listed with their state unless hideFinished (a page may then hold fewer). */
  async list(namespace: string, appId: string, options: { prefix?: string; limit?: number; cursor?: string; hideFinished?: boolean }): Promise<ListResult> {
    const limit = options.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new InvalidRequestError('DAPR_SCHEDULER_LIST_JOBS', `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`, 'limit');
    }
    if (options.prefix) validateName(options.prefix, 'prefix');
    const page = await this.store.list(namespace, appId, {
      limit,
      ...(options.prefix ? { prefix: options.prefix } : {}),
      ...(options.cursor ? { after: options.cursor } : {}),
    });
    const shown = options.hideFinished ? page.records.filter((record) => !isFinished(record.progress)) : page.records;
    const records = await Promise.all(shown.map((record) => this.withPayload(record, isFinished(record.progress) ? undefined : 'DAPR_SCHEDULER_LIST_JOBS')));
    return { jobs: records.map(toJobView), ...(page.next !== undefined ? { nextCursor: page.next } : {}) };
  }

  async deleteByPrefix(namespace: string, appId: string, prefix: string): Promise<number> {
    if (prefix) validateName(prefix, 'prefix');
    const refs = this.payloads?.hasStores ? await this.payloadRefs(namespace, appId, prefix) : [];
    const count = await this.store.deleteByPrefix(namespace, appId, prefix);
    this.engine.removeByPrefix(namespace, appId, prefix);
    for (const ref of refs) void this.payloads?.discard(ref, 'deleted');
    return count;
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

  /** The payload references of the jobs a prefix delete is about to remove. */
  private async payloadRefs(namespace: string, appId: string, prefix: string): Promise<DataRef[]> {
    const refs: DataRef[] = [];
    let after: string | undefined;
    do {
      const page = await this.store.list(namespace, appId, { limit: MAX_LIST_LIMIT, ...(prefix ? { prefix } : {}), ...(after !== undefined ? { after } : {}) });
      for (const record of page.records) if (record.def.dataRef) refs.push(record.def.dataRef);
      after = page.next;
    } while (after !== undefined);
    return refs;
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
