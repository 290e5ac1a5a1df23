// The actor reminder use cases (SPEC 6), over the same store and engine as jobs. Like the jobs
// service, each writes the store first (durable before the caller hears success), then tells the
// engine. Reminders are jobs filed under a reserved app id (reminder-keys.ts).

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Engine } from '../../core/engine/engine.js';
import { initialProgress } from '../../core/engine/progression.js';
import { DuetimeError, JobExistsError } from '../../core/errors.js';
import type { JobRecord } from '../../core/model/job.js';
import type { JobStore } from '../../core/ports/job-store.js';
import { parseSchedule } from '../../core/schedule/index.js';
import { actorPrefix, reminderAppId, reminderJobKey, type Owner, type ReminderRef } from './reminder-keys.js';
import { parseReminderRequest } from './reminder-request.js';
import { toReminderView, type ReminderView } from './reminder-view.js';

const GET_CODE = 'ERR_ACTOR_REMINDER_GET';
const DELETE_CODE = 'ERR_ACTOR_REMINDER_DELETE';
const PAGE = 1000;

export class RemindersService {
  constructor(
    private readonly store: JobStore,
    private readonly engine: Engine,
    private readonly clock: Clock,
  ) {}

  /** Creates the reminder, or replaces it (overwrite defaults to true, as in Dapr). */
  async create(owner: Owner, ref: ReminderRef, body: unknown): Promise<void> {
    const key = reminderJobKey(owner, ref);
    const { def, overwrite } = parseReminderRequest(key, owner, ref, body, this.clock.now(), randomUUID());
    const record: JobRecord = { def, progress: initialProgress(def, def.schedule ? parseSchedule(def.schedule) : undefined) };
    try {
      await this.store.create(record, { overwrite });
    } catch (error) {
      if (error instanceof JobExistsError) {
        throw new DuetimeError('conflict', 'ERR_ACTOR_REMINDER_CREATE', `${describe(ref)} already exists; leave "overwrite" out (it defaults to true) to replace it`, 'overwrite');
      }
      throw error;
    }
    this.engine.upsert(record);
  }

  async get(owner: Owner, ref: ReminderRef): Promise<ReminderView> {
    const record = await this.store.get(reminderJobKey(owner, ref, GET_CODE));
    if (!record) throw new DuetimeError('not-found', GET_CODE, `${describe(ref)} not found`);
    return toReminderView(record);
  }

  /** Deletes the reminder; absent is not an error (Dapr answers 204 either way). */
  async delete(owner: Owner, ref: ReminderRef): Promise<void> {
    const key = reminderJobKey(owner, ref, DELETE_CODE);
    await this.store.delete(key);
    this.engine.remove(key);
  }

  /** Every reminder this app set on one actor, in name order of the stored key. */
  async list(owner: Owner, actorType: string, actorId: string): Promise<ReminderView[]> {
    // Validates the parts as a lookup would, with a placeholder name.
    reminderJobKey(owner, { actorType, actorId, name: '-' }, GET_CODE);
    const prefix = actorPrefix(actorType, actorId);
    const appId = reminderAppId(owner.appId);
    const views: ReminderView[] = [];
    let after: string | undefined;
    do {
      const page = await this.store.list(owner.namespace, appId, { prefix, limit: PAGE, ...(after !== undefined ? { after } : {}) });
      views.push(...page.records.map(toReminderView));
      after = page.next;
    } while (after !== undefined);
    return views;
  }
}

function describe(ref: ReminderRef): string {
  return `reminder "${ref.name}" of actor ${ref.actorType}/${ref.actorId}`;
}
