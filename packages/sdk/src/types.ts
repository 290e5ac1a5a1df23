// The shapes of Duetime's HTTP API as the SDK sends and returns them (SPEC sections 2 and 4).

/** Failure policy: drop, constant (Dapr's two) or the exponential extension. */
export type FailurePolicy =
  | { drop: Record<string, never> }
  | { constant: { interval?: string; maxRetries?: number } }
  | { exponential: { initialInterval?: string; maxInterval?: string; multiplier?: number; maxRetries?: number; jitter?: number } };

/** Extension targets; the default is the app that owns the job. */
export type JobTarget =
  | { app: Record<string, never> }
  | { pubsub: { name: string; topic: string; metadata?: Record<string, string> } }
  | { invoke: { appId: string; method: string; verb?: string } }
  | { state: { store: string; key: string } }
  | { binding: { name: string; operation: string; metadata?: Record<string, string> } }
  | { actor: { type: string; id: string } };

/** What `schedule` sends: the body of POST /v1.0/jobs/{name}. */
export interface JobSpec {
  /** Cron (6 fields, seconds first), @every <duration>, @daily... */
  schedule?: string;
  /** First trigger: RFC3339 instant, Go duration ("10s") or ISO 8601 duration ("PT2H"). */
  dueTime?: string;
  repeats?: number;
  ttl?: string;
  /** Any JSON value, handed to the target unchanged. */
  data?: unknown;
  /** Replace an existing job of the same name (default false: 409 when it exists). */
  overwrite?: boolean;
  failurePolicy?: FailurePolicy;
  target?: JobTarget;
  catchUp?: 'all' | 'one' | 'none';
}

export interface JobStatus {
  /** Finished ticks. */
  count: number;
  /** Failed attempts of the current tick. */
  attempts: number;
  lastTrigger?: string;
  nextTrigger?: string;
  state: 'active' | 'paused' | 'staged';
  manualTriggerPending?: boolean;
}

/** Dapr's job fields, as both clients read them back. */
export interface JobFields {
  name: string;
  schedule?: string;
  dueTime?: string;
  repeats?: number;
  ttl?: string;
  /** The JSON payload. */
  data?: unknown;
  /** A non-JSON payload scheduled over gRPC: the Any's type and its bytes, base64. */
  rawData?: { typeUrl: string; value: string };
}

/** A job as GET /v1.0/jobs/{name} returns it. */
export interface Job extends JobFields {
  failurePolicy: FailurePolicy;
  target?: JobTarget;
  catchUp?: 'one' | 'none';
  status: JobStatus;
}

export interface ListOptions {
  /** Only names starting with this. */
  prefix?: string;
  /** Page size, 1 to 1000 (default 100). */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

export interface JobPage {
  jobs: Job[];
  /** Present when more jobs follow: pass it as `cursor`. */
  nextCursor?: string;
}

export interface HistoryEntry {
  scheduledTime: string;
  finishedTime: string;
  attempt: number;
  outcome: 'success' | 'failed' | 'dropped' | 'staged';
  manual: boolean;
  detail?: string;
}
