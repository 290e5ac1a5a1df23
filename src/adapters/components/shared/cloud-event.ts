import type { PublishMessage } from '../../../core/ports/publisher.js';

/** The CloudEvent type Dapr gives the events it publishes. */
export const DAPR_EVENT_TYPE = 'com.dapr.event.sent';
export const CLOUDEVENT_CONTENT_TYPE = 'application/cloudevents+json';

/** The bytes to hand the broker, and the content type that describes them. */
export interface EncodedMessage {
  body: Buffer;
  contentType: string;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value.toLowerCase() === 'true';
}

function isCloudEvent(data: unknown): data is Record<string, unknown> {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && 'specversion' in data;
}

/**
 * Encodes a message as Dapr does:
 * - by default, a CloudEvent 1.0 JSON envelope around the data (specversion, id, source, type
 *   com.dapr.event.sent, datacontenttype, topic, pubsubname, time, data, and traceparent and
 *   tracestate when the trigger carries a trace context);
 * - with contentType application/cloudevents+json and data that already is a CloudEvent, that
 *   event as is, with topic and pubsubname added when missing (Dapr's "bring your own event");
 * - with metadata rawPayload "true", the data alone: a string as its text, anything else as JSON.
 */
export function encodeMessage(msg: PublishMessage, pubsubName: string, now: Date = new Date()): EncodedMessage {
  if (isTrue(msg.metadata.rawPayload)) {
    const text = typeof msg.data === 'string' ? msg.data : JSON.stringify(msg.data ?? null);
    return { body: Buffer.from(text), contentType: msg.contentType ?? (typeof msg.data === 'string' ? 'text/plain' : 'application/json') };
  }
  if (msg.contentType === CLOUDEVENT_CONTENT_TYPE && isCloudEvent(msg.data)) {
    const event = { topic: msg.topic, pubsubname: pubsubName, ...msg.data };
    return { body: Buffer.from(JSON.stringify(event)), contentType: CLOUDEVENT_CONTENT_TYPE };
  }
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: msg.id,
    source: msg.source,
    type: DAPR_EVENT_TYPE,
    datacontenttype: msg.contentType ?? 'application/json',
    topic: msg.topic,
    pubsubname: pubsubName,
    time: now.toISOString(),
    data: msg.data ?? null,
  };
  if (msg.traceparent !== undefined) {
    event.traceparent = msg.traceparent;
    // Dapr also writes the legacy traceid field with the same value.
    event.traceid = msg.traceparent;
    if (msg.tracestate !== undefined) event.tracestate = msg.tracestate;
  }
  return { body: Buffer.from(JSON.stringify(event)), contentType: CLOUDEVENT_CONTENT_TYPE };
}
