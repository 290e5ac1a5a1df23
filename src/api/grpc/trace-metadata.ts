// The caller's W3C trace context from gRPC call metadata (traceparent, tracestate), as Dapr
// sidecars and OpenTelemetry's gRPC instrumentation send it.

import type { Metadata } from '@grpc/grpc-js';
import { parseTraceContext } from '../../core/model/trace-context.js';
import type { ScheduleContext } from '../../app/jobs-service.js';

export function traceContextOf(metadata: Metadata): ScheduleContext {
  const parents = metadata.get('traceparent');
  if (parents.length === 0) return {};
  const states = metadata.get('tracestate').filter((v): v is string => typeof v === 'string');
  const trace = parseTraceContext(
    parents.map((v) => (typeof v === 'string' ? v : v.toString('latin1'))),
    states.length > 0 ? states : undefined,
  );
  return trace ? { trace } : {};
}
