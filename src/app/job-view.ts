import type { HistoryEntry, JobRecord, RawPayload } from '../core/model/job.js';

/** A job as the API shows it: Dapr's fields plus the extension `status`. */
export interface JobView {
  name: string;
  schedule?: string;
  dueTime?: string;
  repeats?: number;
  ttl?: string;
  data?: unknown;
  /** A non-JSON payload scheduled over gRPC (docs/grpc.md, "Payloads"), instead of data. */
  rawData?: RawPayload;
  failurePolicy: unknown;
  target?: unknown;
  catchUp?: string;
  status: {
    count: number;
    attempts: number;
    lastTrigger?: string;
    nextTrigger?: string;
    /** staged: active, but its trigger waits for a consumer of the app (SPEC 5). */
    state: 'active' | 'paused' | 'staged';
    manualTriggerPending?: boolean;
  };
}

export function toJobView(record: JobRecord): JobView {
  const { def, progress } = record;
  const next = progress.state === 'active' ? progress.nextAt : undefined;
  return {
    name: def.key.name,
    ...(def.schedule !== undefined ? { schedule: def.schedule } : {}),
    ...(def.dueTime !== undefined ? { dueTime: def.dueTime } : {}),
    ...(def.repeats !== undefined ? { repeats: def.repeats } : {}),
    ...(def.ttl !== undefined ? { ttl: def.ttl } : {}),
    ...(def.data !== undefined ? { data: def.data } : {}),
    ...(def.rawData !== undefined ? { rawData: def.rawData } : {}),
    failurePolicy: def.failurePolicySource,
    ...(def.target.kind !== 'app' ? { target: { [def.target.type]: def.target.spec } } : {}),
    ...(def.catchUp !== 'all' ? { catchUp: def.catchUp } : {}),
    status: {
      count: progress.count,
      attempts: progress.attempts,
      ...(progress.lastTrigger !== undefined ? { lastTrigger: iso(progress.lastTrigger) } : {}),
      ...(next !== undefined ? { nextTrigger: iso(next) } : {}),
      state: progress.state === 'active' && progress.staged ? 'staged' : progress.state,
      ...(progress.manualAt !== undefined ? { manualTriggerPending: true } : {}),
    },
  };
}

export interface HistoryView {
  scheduledTime: string;
  finishedTime: string;
  attempt: number;
  outcome: HistoryEntry['outcome'];
  manual: boolean;
  detail?: string;
}

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
