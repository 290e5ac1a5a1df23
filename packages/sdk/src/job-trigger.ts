// What a handler receives for each trigger, over WatchJobs (listen) or HTTP (jobHandler).

export interface JobTrigger {
  /** The job's name. */
  name: string;
  /** The JSON payload; undefined when the job has none, or has a non-JSON one (see rawData). */
  data: unknown;
  /** A non-JSON payload: over WatchJobs an Any of another type; over HTTP a body that is not JSON. */
  rawData?: { typeUrl: string; value: Buffer };
  /** The app the trigger is for (WatchJobs; over HTTP only when the request says). */
  appId?: string;
  namespace?: string;
  /** Set when the trigger is an actor reminder (WatchJobs). */
  actor?: { type: string; id: string };
  /** HTTP only: the tick's scheduled instant (duetime-scheduled-time). */
  scheduledTime?: Date;
  /** HTTP only: 1-based attempt of this tick (duetime-attempt). */
  attempt?: number;
  /** HTTP only: stable for every attempt of one tick, an idempotency key (duetime-trigger-id). */
  triggerId?: string;
  /**
   * W3C trace context of the attempt (the traceparent header over HTTP, the trace_context field
   * over WatchJobs): present when the job was scheduled with one or the server traces. Start the
   * handler's span as its child to continue the trace.
   */
  traceparent?: string;
  /** The tracestate that goes with traceparent, when there is one. */
  tracestate?: string;
}

/** Resolve (or return) to acknowledge the trigger; throw to report it failed. */
export type JobHandlerFunction = (job: JobTrigger) => Promise<void> | void;

/** Handlers by job name. */
export type JobHandlers = Record<string, JobHandlerFunction>;
