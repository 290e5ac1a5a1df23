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

export function toJobTrigger(message: WatchJobsResponse): JobTrigger {
  const any = message.data;
  const typeUrl = any?.type_url ?? '';
  const value = Buffer.from(any?.value ?? []);
  let data: unknown;
  let rawData: JobTrigger['rawData'];
  if (typeUrl === VALUE_TYPE_URL) data = decodeValue(value);
  else if (typeUrl !== '' || value.length > 0) rawData = { typeUrl, value };
  const actor = message.metadata?.target?.actor;
  const traceparent = message.traceContext?.traceparent;
  const tracestate = message.traceContext?.tracestate;
  return {
    name: message.name,
    data,
    ...(rawData ? { rawData } : {}),
    ...(message.metadata ? { appId: message.metadata.appId, namespace: message.metadata.namespace } : {}),
    ...(actor ? { actor: { type: actor.type, id: actor.id } } : {}),
    ...(traceparent ? { traceparent } : {}),
    ...(traceparent && tracestate ? { tracestate } : {}),
  };
}
