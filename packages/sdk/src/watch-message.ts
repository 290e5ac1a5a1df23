// A WatchJobs trigger message as the JobTrigger a handler receives.

import { decodeValue, VALUE_TYPE_URL } from './protocol/protobuf-value.js';
import type { JobTrigger } from './job-trigger.js';

/** WatchJobsResponse as @grpc/proto-loader renders it (Any keeps `type_url`). */
export interface WatchJobsResponse {
  name: string;
  id: string;
  data?: { type_url: string; value: Buffer } | null;
  metadata?: { appId: string; namespace: string; target?: { actor?: { type: string; id: string } | null } | null } | null;
  /** Duetime's extension: the trigger's W3C trace context (traceparent, tracestate). */
  traceContext?: Record<string, string> | null;
}

const EMPTY = Buffer.alloc(0);

export function toJobTrigger(message: WatchJobsResponse): JobTrigger {
  const any = message.data;
  const typeUrl = any?.type_url ?? '';
  const value = any?.value;
  let data: unknown;
  let rawData: JobTrigger['rawData'];
  // The decoder's bytes are a view of the received frame: read in place, copied only to be kept.
  if (typeUrl === VALUE_TYPE_URL) data = decodeValue(value ?? EMPTY);
  else if (typeUrl !== '' || (value?.length ?? 0) > 0) rawData = { typeUrl, value: Buffer.from(value ?? EMPTY) };
  const actor = message.metadata?.target?.actor;
  const traceparent = message.traceContext?.traceparent;
  const tracestate = message.traceContext?.tracestate;
  // The optional fields are assigned, not spread into the literal (each spread of a conditional
  // object is a literal and a runtime copy): this runs once per trigger received.
  const trigger: JobTrigger = { name: message.name, data };
  if (rawData) trigger.rawData = rawData;
  if (message.metadata) {
    trigger.appId = message.metadata.appId;
    trigger.namespace = message.metadata.namespace;
  }
  if (actor) trigger.actor = { type: actor.type, id: actor.id };
  if (traceparent) {
    trigger.traceparent = traceparent;
    if (tracestate) trigger.tracestate = tracestate;
  }
  return trigger;
}
