// A reminder as GET shows it: Dapr's reminder fields (actorID, actorType, name, data, dueTime,
// period, expirationTime) as the user sent them, plus the job's extension `status`.

import type { JobRecord } from '../../core/model/job.js';
import { toJobView, type JobView } from '../job-view.js';
import { parseReminderJobName } from './reminder-keys.js';
import { reminderSpecOf } from './reminder-request.js';

export interface ReminderView {
  actorType: string;
  actorID: string;
  name: string;
  dueTime?: string;
  period?: string;
  ttl?: string;
  data?: unknown;
  expirationTime?: string;
  status: JobView['status'];
}

export function toReminderView(record: JobRecord): ReminderView {
  const { def } = record;
  const spec = reminderSpecOf(def.target);
  const actor = def.target.kind === 'actor' ? def.target : undefined;
  const parsed = parseReminderJobName(def.key.name);
  return {
    actorType: actor?.type ?? parsed?.actorType ?? '',
    actorID: actor?.id ?? parsed?.actorId ?? '',
    name: spec?.name ?? parsed?.name ?? def.key.name,
    ...(spec?.dueTime !== undefined ? { dueTime: spec.dueTime } : {}),
    ...(spec?.period !== undefined ? { period: spec.period } : {}),
    ...(spec?.ttl !== undefined ? { ttl: spec.ttl } : {}),
    ...(def.data !== undefined ? { data: def.data } : {}),
    ...(def.expiresAt !== undefined ? { expirationTime: new Date(def.expiresAt).toISOString() } : {}),
    status: toJobView(record).status,
  };
}
