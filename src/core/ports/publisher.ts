import type { ComponentHealth } from './component-health.js';

/** One message to publish: a trigger's data sent to a topic of a pub/sub component. */
export interface PublishMessage {
  topic: string;
  /** The job's data: any JSON value. */
  data: unknown;
  /**
   * Per-message metadata, as Dapr's publish metadata. `rawPayload: "true"` sends `data` as is
   * instead of inside a CloudEvent; other keys are broker-specific (see docs/components.md).
   */
  metadata: Record<string, string>;
  /** The data's content type; application/json when absent. */
  contentType?: string;
  /** The CloudEvent id: the trigger id, stable across the attempts of one tick. */
  id: string;
  /** The CloudEvent source: the app id that owns the job. */
  source: string;
  /** W3C trace context to carry in the CloudEvent (distributed tracing extension), when the trigger has one. */
  traceparent?: string;
  /** The tracestate that goes with traceparent. */
  tracestate?: string;
}

/**
 * A pub/sub component. publish() resolves once the broker has accepted the message (stored it,
 * acknowledged it) and rejects with an Error otherwise, within the component's operation
 * timeout: the engine turns a rejection into a failed attempt.
 */
export interface Publisher extends ComponentHealth {
  publish(msg: PublishMessage): Promise<void>;
  close(): Promise<void>;
}
