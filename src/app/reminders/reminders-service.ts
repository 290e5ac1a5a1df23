// The actor reminder use cases (SPEC 6), over the same store and engine as jobs. Like the jobs
// service, each writes the store first (durable before the caller hears success), then tells the
// engine. Reminders are jobs filed under a reserved app id (reminder-keys.ts).

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Engine } from '../../core/engine/engine.js';
import { initialProgress } from '../../core/engine/progression.js';
import { DuetimeError, JobExistsError } from '../../core/errors.js';
import { checkJobData, DEFAULT_DATA_LIMITS, type DataLimits } from '../../core/model/job-data.js';
import { parseJobRequest } from '../../core/model/job-request.js';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../../core/model/request-limits.js';
import { isFinished, type JobRecord, type RawPayload } from '../../core/model/job.js';
import type { JobStore } from '../../core/ports/job-store.js';
import { parseSchedule } from '../../core/schedule/index.js';
import type { AppQuota } from '../app-quota.js';
import { toJobView, type JobView } from '../job-view.js';
import { actorPrefix, checkReminderRef, parseReminderJobName, reminderAppId, reminderJobKey, type Owner, type ReminderRef } from './reminder-keys.js';
import { parseReminderRequest, type ReminderSpec } from './reminder-request.js';
import { toReminderView, type ReminderView } from './reminder-view.js';

const GET_CODE = 'ERR_ACTOR_REMINDER_GET';
const DELETE_CODE = 'ERR_ACTOR_REMINDER_DELETE';
const PAGE = 1000;

export class RemindersService {
  constructor(
    private readonly store: JobStore,
    private readonly engine: Engine,
    private readonly clock: Clock,
    /** Depth and size of a reminder's data (--max-data-depth, --max-data-bytes), checked on every write. */
    readonly dataLimits: DataLimits = DEFAULT_DATA_LIMITS,
    /** What a reminder may ask for (--min-interval and the lengths) and the per-app quota, on every write. */
    private readonly limits: { requestLimits?: RequestLimits; quota?: AppQuota } = {},
  ) {}

  private get requestLimits(): RequestLimits {
    return this.limits.requestLimits ?? DEFAULT_REQUEST_LIMITS;
  }

  /** Creates the reminder, or replaces it (overwrite defaults to true, as in Dapr). */
  async create(owner: Owner, ref: ReminderRef, body: unknown): Promise<void> {
    const key = reminderJobKey(owner, ref);
    checkReminderRef(ref);
    this.limits.quota?.takeSchedule(key, 'ERR_ACTOR_REMINDER_CREATE');
    const { def, overwrite } = parseReminderRequest(key, owner, ref, body, this.clock.now(), randomUUID(), this.requestLimits);
    await this.save(def, overwrite, ref, 'ERR_ACTOR_REMINDER_CREATE', 'leave "overwrite" out (it defaults to true) to replace it');
  }

  /**
   * Creates or replaces a reminder given as a job: `{schedule, dueTime, repeats, ttl, data,
   * failurePolicy, overwrite}`, the shape in which a Dapr sidecar hands reminders to its scheduler
   * (it has already turned the period into a schedule and repeats). The job rules of SPEC 2
   * apply, with the job error codes; `overwrite` is the caller's, as the scheduler API has it.
   */
  async scheduleAsJob(owner: Owner, ref: ReminderRef, body: Record<string, unknown>, rawData?: RawPayload): Promise<void> {
    const key = reminderJobKey(owner, ref, 'DAPR_SCHEDULER_SCHEDULE_JOB');
    checkReminderRef(ref, 'DAPR_SCHEDULER_SCHEDULE_JOB');
    this.limits.quota?.takeSchedule(key, 'DAPR_SCHEDULER_SCHEDULE_JOB');
    const { def: parsed, overwrite } = parseJobRequest(key, body, this.clock.now(), randomUUID(), this.requestLimits);
    const reminder: ReminderSpec = {
      name: ref.name,
      appId: owner.appId,
      ...(parsed.dueTime !== undefined ? { dueTime: parsed.dueTime } : {}),
      ...(parsed.schedule !== undefined ? { period: parsed.schedule } : {}),
      ...(parsed.ttl !== undefined ? { ttl: parsed.ttl } : {}),
    };
    const def = {
      ...parsed,
      ...(rawData ? { rawData } : {}),
      target: { kind: 'actor' as const, type: ref.actorType, id: ref.actorId, reminder },
    };
    await this.save(def, overwrite, ref, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'set overwrite to replace it');
  }

  /** The reminder as a job (schedule, dueTime, repeats, ttl, data, failurePolicy, status). */
  async getAsJob(owner: Owner, ref: ReminderRef): Promise<JobView> {
    const record = await this.store.get(reminderJobKey(owner, ref, 'DAPR_SCHEDULER_GET_JOB'));
    if (!record) throw new DuetimeError('not-found', 'DAPR_SCHEDULER_GET_JOB', `${describe(ref)} not found`);
    return toJobView(record);
  }

  /** The app's reminders whose stored names start with `prefix` (reminder-keys.ts reminderPrefix), as jobs. */
  async listAsJobs(owner: Owner, prefix: string): Promise<Array<{ ref: ReminderRef; job: JobView }>> {
    const found: Array<{ ref: ReminderRef; job: JobView }> = [];
    for await (const record of this.records(owner, prefix)) {
      const ref = parseReminderJobName(record.def.key.name);
      if (ref) found.push({ ref, job: toJobView(record) });
    }
    return found;
  }

  /** Deletes the app's reminders whose stored names start with `prefix`; returns how many. */
  async deleteByPrefix(owner: Owner, prefix: string): Promise<number> {
    const appId = reminderAppId(owner.appId);
    const mark = this.engine.upsertMark();
    return this.store.deleteByPrefix(owner.namespace, appId, prefix, { written: () => this.engine.removeByPrefix(owner.namespace, appId, prefix, mark) });
  }

  async get(owner: Owner, ref: ReminderRef): Promise<ReminderView> {
    const record = await this.store.get(reminderJobKey(owner, ref, GET_CODE));
    if (!record) throw new DuetimeError('not-found', GET_CODE, `${describe(ref)} not found`);
    return toReminderView(record);
  }

  /** Deletes the reminder; absent is not an error (Dapr answers 204 either way). */
  async delete(owner: Owner, ref: ReminderRef): Promise<void> {
    const key = reminderJobKey(owner, ref, DELETE_CODE);
    const mark = this.engine.upsertMark();
    await this.store.delete(key, { written: () => this.engine.remove(key, mark) });
  }

  /** Every reminder this app set on one actor, in name order of the stored key. */
  async list(owner: Owner, actorType: string, actorId: string): Promise<ReminderView[]> {
    // Validates the parts as a lookup would, with a placeholder name.
    reminderJobKey(owner, { actorType, actorId, name: '-' }, GET_CODE);
    const views: ReminderView[] = [];
    for await (const record of this.records(owner, actorPrefix(actorType, actorId))) views.push(toReminderView(record));
    return views;
  }

  private async save(def: JobRecord['def'], overwrite: boolean, ref: ReminderRef, conflictCode: string, fix: string): Promise<void> {
    checkJobData(def, this.dataLimits, conflictCode);
    await this.limits.quota?.checkJobCount(def.key, conflictCode, async () => {
      const existing = overwrite ? await this.store.get(def.key) : undefined;
      return existing !== undefined && !isFinished(existing.progress);
    });
    const record: JobRecord = { def, progress: initialProgress(def, def.schedule ? parseSchedule(def.schedule) : undefined) };
    try {
      await this.store.create(record, { overwrite, written: () => this.engine.upsert(record) });
    } catch (error) {
      if (error instanceof JobExistsError) throw new DuetimeError('conflict', conflictCode, `${describe(ref)} already exists; ${fix}`, 'overwrite');
      throw error;
    }
  }

  /** The app's reminder records whose stored names start with `prefix`, page by page. */
  private async *records(owner: Owner, prefix: string): AsyncGenerator<JobRecord> {
    const appId = reminderAppId(owner.appId);
    let after: string | undefined;
    do {
      const page = await this.store.list(owner.namespace, appId, { prefix, limit: PAGE, ...(after !== undefined ? { after } : {}) });
      yield* page.records;
      after = page.next;
    } while (after !== undefined);
  }
}

function describe(ref: ReminderRef): string {
  return `reminder "${ref.name}" of actor ${ref.actorType}/${ref.actorId}`;
}
