import type { DataRef, JobKey, RawPayload, Target } from './job.js';
import type { TraceContext } from './trace-context.js';

/** One attempt to deliver one tick of a job. */
export interface Trigger {
  key: JobKey;
  /** The job definition's uid: lets a consumer tell a replaced job's ticks apart. */
  uid: string;
  /** Stable for every attempt of one tick: an idempotency key for the receiver. */
  triggerId: string;
  /** The tick's scheduled instant (ms). Delivery never happens before it. */
  scheduledAt: number;
  /** 1-based attempt number within the tick. */
  attempt: number;
  data: unknown;
  /** The job's non-JSON payload, when it has one instead of data. */
  rawData?: RawPayload;
  /** Where the payload is when a jobStateStore holds it; delivery reads it back (app/payloads). */
  dataRef?: DataRef;
  target: Target;
  manual: boolean;
  /**
   * The trace context the delivery sends on (traceparent and tracestate headers, CloudEvent
   * attributes, WatchJobs trace_context): the job's stored one, or the attempt span's when tracing.
   */
  trace?: TraceContext;
}

/**
 * What delivery reports back.
 * - done: the target accepted it (or said 404, which is never retried);
 * - failed: the failure policy decides what follows;
 * - staged: nobody could take it now; it waits without using a retry;
 * - cancel: the target asked to end the job (actor reminders' cancel header).
 */
export type Outcome =
  | { kind: 'done'; detail?: string }
  | { kind: 'failed'; detail: string }
  | { kind: 'staged'; detail: string }
  | { kind: 'cancel'; detail?: string };

// The last instant's base-36 form: the triggers of a burst share one instant, and toString(36)
// of a millisecond timestamp costs about 0.35 us, once per delivery.
let lastInstant = Number.NaN;
let lastBase36 = '';

export function triggerId(uid: string, scheduledAt: number, manual: boolean): string {
  if (scheduledAt !== lastInstant) {
    lastBase36 = scheduledAt.toString(36);
    lastInstant = scheduledAt;
  }
  return `${uid}-${manual ? 'm' : 't'}${lastBase36}`;
}
