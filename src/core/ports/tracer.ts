import type { JobKey } from '../model/job.js';
import type { TraceContext } from '../model/trace-context.js';
import type { Trigger } from '../model/trigger.js';

/**
 * Spans of a job's life, in scheduler words: the core and app layers never see a tracing
 * library. The OpenTelemetry adapter (adapters/tracing-otel) implements it when
 * --otlp-endpoint is set; otherwise there is no Tracer at all and nothing is traced.
 */
export interface Tracer {
  /**
   * The span of one schedule request (a server span), a child of the caller's context when it
   * sent one. Its context is what the job stores, so every attempt continues this trace.
   */
  startSchedule(key: JobKey, parent: TraceContext | undefined): TraceSpan;
  /**
   * The span of one delivery attempt (a client span; a producer span for pub/sub), a child of
   * the trace context stored with the job (the schedule span), or a new trace when it has none.
   * Its context is what the delivery carries to the target.
   */
  startAttempt(trigger: Trigger): TraceSpan;
  /** Sends what is buffered and stops; spans ended afterwards are dropped. */
  close(): Promise<void>;
}

export interface TraceSpan {
  /** This span as W3C trace context: what is propagated to whatever comes next. */
  readonly context: TraceContext;
  /** Ends the span once; later calls are ignored. */
  end(result: SpanResult): void;
}

/**
 * How the operation ended. `outcome` becomes the span's duetime.outcome attribute; `error` sets
 * the span's status to error with `detail` as its message.
 */
export interface SpanResult {
  outcome: string;
  error?: boolean;
  detail?: string;
}
