// The JSON shapes of Duetime's HTTP API (SPEC sections 2 and 4): what the SDK sends and reads
// back, and, being one definition, what the server's job view (src/app/job-view.ts) returns.
// Re-exported by the SDK's main entry (types.ts).

/** Failure policy: drop, constant (Dapr's two) or the exponential extension. */
export type FailurePolicy =
  | { drop: Record<string, never> }
  | {
      constant: {
        interval?: string;
        maxRetries?: number;
        /** Dapr's spelling of maxRetries, also accepted; a job reads back as it was written. */
        max_retries?: number;
      };
    }
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
  /** Cron (6 fields, seconds first), `@every <duration>`, `@daily`... */
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
  /**
   * staged: active, but its trigger waits for a consumer of the app. completed and
   * failed: the job has finished (its last tick delivered, or given up) and this is its tombstone,
   * kept for --tombstone-ttl; it never fires again and its name is free.
   */
  state: 'active' | 'paused' | 'staged' | 'completed' | 'failed';
  manualTriggerPending?: boolean;
  /** When a finished job (state completed or failed) finished. */
  finishedTime?: string;
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
  /** A non-JSON payload scheduled over gRPC, instead of data: the Any's type and its bytes, base64 (docs/grpc.md, "Payloads"). */
  rawData?: { typeUrl: string; value: string };
}

/** A job as GET /v1.0/jobs/{name} returns it. */
export interface Job extends JobFields {
  failurePolicy: FailurePolicy;
  target?: JobTarget;
  catchUp?: 'one' | 'none';
  status: JobStatus;
}

/** One finished tick, as GET /v1.0/jobs/{name}/history lists it. */
export interface HistoryEntry {
  scheduledTime: string;
  finishedTime: string;
  attempt: number;
  outcome: 'success' | 'failed' | 'dropped' | 'staged';
  manual: boolean;
  detail?: string;
}
