import type { FailurePolicy, HistoryEntry as HistoryJson, Job, JobTarget } from '@duetime/sdk/protocol';
import type { HistoryEntry, JobRecord } from '../core/model/job.js';
import { targetJson } from '../core/model/target.js';

/**
 * A job as the API shows it: Dapr's fields plus the extension `status`. One definition with the
 * SDK's `Job`, the HTTP API's JSON as the wire contract declares it (@duetime/sdk/protocol).
 */
export type JobView = Job;

export function toJobView(record: JobRecord): JobView {
  const { def, progress } = record;
  const next = progress.state === 'active' ? progress.nextAt : undefined;
  const target = targetJson(def.target, def.targetSource);
  return {
    name: def.key.name,
    ...(def.schedule !== undefined ? { schedule: def.schedule } : {}),
    ...(def.dueTime !== undefined ? { dueTime: def.dueTime } : {}),
    ...(def.repeats !== undefined ? { repeats: def.repeats } : {}),
    ...(def.ttl !== undefined ? { ttl: def.ttl } : {}),
    ...(def.data !== undefined ? { data: def.data } : {}),
    ...(def.rawData !== undefined ? { rawData: def.rawData } : {}),
    // As written, validated by parseFailurePolicy when the job was (or the default's source).
    failurePolicy: def.failurePolicySource as FailurePolicy,
    // As written (targetSource), or from the typed fields when the server built the target.
    ...(target !== undefined ? { target: target as JobTarget } : {}),
    ...(def.catchUp !== 'all' ? { catchUp: def.catchUp } : {}),
    status: {
      count: progress.count,
      attempts: progress.attempts,
      ...(progress.lastTrigger !== undefined ? { lastTrigger: iso(progress.lastTrigger) } : {}),
      ...(next !== undefined ? { nextTrigger: iso(next) } : {}),
      state: progress.state === 'active' && progress.staged ? 'staged' : progress.state,
      ...(progress.manualAt !== undefined ? { manualTriggerPending: true } : {}),
      ...(progress.finishedAt !== undefined ? { finishedTime: iso(progress.finishedAt) } : {}),
    },
  };
}

/** One finished tick as GET /v1.0/jobs/{name}/history shows it: the SDK's `HistoryEntry`. */
export type HistoryView = HistoryJson;

export function toHistoryView(entry: HistoryEntry): HistoryView {
  return {
    scheduledTime: iso(entry.scheduledAt),
    finishedTime: iso(entry.at),
    attempt: entry.attempt,
    outcome: entry.outcome,
    manual: entry.manual,
    ...(entry.detail !== undefined ? { detail: entry.detail } : {}),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
