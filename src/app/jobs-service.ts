// The jobs use cases: what the HTTP and gRPC APIs call. Each writes the store first (durable
// before the caller hears success) and then tells the engine.

import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { InvalidRequestError, JobNotFoundError } from '../core/errors.js';
import type { Engine } from '../core/engine/engine.js';
import { initialProgress } from '../core/engine/progression.js';
import type { JobKey, JobRecord, RawPayload, Target } from '../core/model/job.js';
import { parseJobRequest } from '../core/model/job-request.js';
import { validateName } from '../core/model/names.js';
import type { JobStore } from '../core/ports/job-store.js';
import { parseSchedule } from '../core/schedule/index.js';
import { toHistoryView, toJobView, type HistoryView, type JobView } from './job-view.js';

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
  ) {}

  /** `rawData`: a non-JSON payload (gRPC), given instead of the body's `data`. */
  async schedule(key: JobKey, body: unknown, rawData?: RawPayload): Promise<void> {
    const { def: parsed, overwrite } = parseJobRequest(key, body, this.clock.now(), randomUUID());
    const def = rawData ? { ...parsed, rawData } : parsed;
    this.checkTarget(def.target, key);
    const record: JobRecord = { def, progress: initialProgress(def, def.schedule ? parseSchedule(def.schedule) : undefined) };
    await this.store.create(record, { overwrite });
    this.engine.upsert(record);
  }

  async get(key: JobKey): Promise<JobView> {
    validateName(key.name);
    const record = await this.store.get(key);
    if (!record) throw new JobNotFoundError(key.name);
    return toJobView(record);
  }

  async delete(key: JobKey): Promise<void> {
    validateName(key.name);
    await this.store.delete(key);
    this.engine.remove(key);
  }

  async list(namespace: string, appId: string, options: { prefix?: string; limit?: number; cursor?: string }): Promise<ListResult> {
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
    return { jobs: page.records.map(toJobView), ...(page.next !== undefined ? { nextCursor: page.next } : {}) };
  }

  async deleteByPrefix(namespace: string, appId: string, prefix: string): Promise<number> {
    if (prefix) validateName(prefix, 'prefix');
    const count = await this.store.deleteByPrefix(namespace, appId, prefix);
    this.engine.removeByPrefix(namespace, appId, prefix);
    return count;
  }

  async pause(key: JobKey): Promise<JobView> {
    validateName(key.name);
    return toJobView(await this.engine.pause(key));
  }

  async resume(key: JobKey): Promise<JobView> {
    validateName(key.name);
    return toJobView(await this.engine.resume(key));
  }

  async trigger(key: JobKey): Promise<JobView> {
    validateName(key.name);
    return toJobView(await this.engine.triggerNow(key));
  }

  async history(key: JobKey, limit = DEFAULT_HISTORY_LIMIT): Promise<HistoryView[]> {
    validateName(key.name);
    if (!(await this.store.get(key))) throw new JobNotFoundError(key.name);
    return (await this.store.history(key, limit)).map(toHistoryView);
  }
}

function defaultTargetCheck(target: Target): void {
  if (target.kind !== 'app') {
    throw new InvalidRequestError(
      'DAPR_SCHEDULER_SCHEDULE_JOB',
      `target "${target.type}" needs a component or registry this server does not have; use the default app target`,
      `target.${target.type}`,
    );
  }
}
