// The Tracer port on OpenTelemetry: spans made by the SDK's BasicTracerProvider and exported in
// batches over OTLP/HTTP (JSON) to --otlp-endpoint. Trace context crosses the port as W3C
// strings, turned into OpenTelemetry contexts by the W3C propagator: nothing is registered
// globally (no global tracer provider, propagator or context manager), so this server's tracing
// cannot interfere with a library's, and contexts are passed explicitly instead of through
// async hooks.
//
// Spans:
// - "duetime.schedule" (server): one schedule request, a child of the caller's traceparent.
// - "duetime.trigger" (client; producer for pub/sub): one delivery attempt, a child of the trace
//   context stored with the job (the schedule span), or the root of a new trace when the job
//   has none. Its status is error when the attempt failed.

import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer as ApiTracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { JobKey } from '../../core/model/job.js';
import { parseTraceContext, type TraceContext } from '../../core/model/trace-context.js';
import type { Trigger } from '../../core/model/trigger.js';
import type { SpanResult, TraceSpan, Tracer } from '../../core/ports/tracer.js';

export interface OtelTracerOptions {
  /** The OTLP/HTTP endpoint: a base URL (http://collector:4318, /v1/traces is added) or the full traces URL. */
  endpoint: string;
  /** service.name of the spans' resource. @defaultValue 'duetime' */
  serviceName?: string;
  /** service.version of the resource, when known. */
  serviceVersion?: string;
  /** Longest wait before buffered spans are sent, ms. @defaultValue 1000 */
  exportDelayMs?: number;
}

/** Span attribute names (OpenTelemetry's conventions for the rest: a dotted, lower-case namespace). */
export const SPAN_ATTRIBUTES = {
  namespace: 'duetime.job.namespace',
  appId: 'duetime.job.app_id',
  name: 'duetime.job.name',
  attempt: 'duetime.trigger.attempt',
  scheduledTime: 'duetime.trigger.scheduled_time',
  triggerId: 'duetime.trigger.id',
  manual: 'duetime.trigger.manual',
  targetKind: 'duetime.target.kind',
  outcome: 'duetime.outcome',
  detail: 'duetime.outcome.detail',
} as const;

/** The OTLP/HTTP traces URL of an endpoint as --otlp-endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) gives it. */
export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`"${endpoint}" is not an http or https URL`);
  if (url.pathname.endsWith('/v1/traces')) return url.toString();
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.toString();
}

export class OtelTracer implements Tracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: ApiTracer;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(options: OtelTracerOptions) {
    const exporter = new OTLPTraceExporter({ url: otlpTracesUrl(options.endpoint) });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': options.serviceName ?? 'duetime',
        ...(options.serviceVersion !== undefined ? { 'service.version': options.serviceVersion } : {}),
      }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.exportDelayMs ?? 1_000 })],
    });
    this.tracer = this.provider.getTracer('duetime', options.serviceVersion);
  }

  startSchedule(key: JobKey, parent: TraceContext | undefined): TraceSpan {
    const span = this.tracer.startSpan('duetime.schedule', { kind: SpanKind.SERVER, attributes: keyAttributes(key) }, this.contextOf(parent));
    return new OtelSpan(span, this.contextFor(span));
  }

  startAttempt(trigger: Trigger): TraceSpan {
    const attributes: Attributes = {
      ...keyAttributes(trigger.key),
      [SPAN_ATTRIBUTES.attempt]: trigger.attempt,
      [SPAN_ATTRIBUTES.scheduledTime]: new Date(trigger.scheduledAt).toISOString(),
      [SPAN_ATTRIBUTES.triggerId]: trigger.triggerId,
      [SPAN_ATTRIBUTES.manual]: trigger.manual,
      [SPAN_ATTRIBUTES.targetKind]: trigger.target.kind,
    };
    const kind = trigger.target.kind === 'pubsub' ? SpanKind.PRODUCER : SpanKind.CLIENT;
    const span = this.tracer.startSpan('duetime.trigger', { kind, attributes }, this.contextOf(trigger.trace));
    return new OtelSpan(span, this.contextFor(span));
  }

  async close(): Promise<void> {
    await this.provider.shutdown();
  }

  private contextOf(parent: TraceContext | undefined): Context {
    if (!parent) return ROOT_CONTEXT;
    const carrier: Record<string, string> = { traceparent: parent.traceparent, ...(parent.tracestate !== undefined ? { tracestate: parent.tracestate } : {}) };
    return this.propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  }

  private contextFor(span: Span): TraceContext {
    const carrier: Record<string, string> = {};
    this.propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
    // The propagator writes a well-formed traceparent for any valid span context.
    return parseTraceContext(carrier.traceparent, carrier.tracestate) ?? { traceparent: carrier.traceparent ?? '' };
  }
}

function keyAttributes(key: JobKey): Attributes {
  return { [SPAN_ATTRIBUTES.namespace]: key.namespace, [SPAN_ATTRIBUTES.appId]: key.appId, [SPAN_ATTRIBUTES.name]: key.name };
}

class OtelSpan implements TraceSpan {
  private ended = false;

  constructor(
    private readonly span: Span,
    readonly context: TraceContext,
  ) {}

  end(result: SpanResult): void {
    if (this.ended) return;
    this.ended = true;
    this.span.setAttribute(SPAN_ATTRIBUTES.outcome, result.outcome);
    if (result.detail !== undefined) this.span.setAttribute(SPAN_ATTRIBUTES.detail, result.detail);
    // Error for a failed attempt or a refused request; a staged attempt (nobody to take it yet) stays unset.
    if (result.error) this.span.setStatus({ code: SpanStatusCode.ERROR, ...(result.detail !== undefined ? { message: result.detail } : {}) });
    else if (result.outcome !== 'staged') this.span.setStatus({ code: SpanStatusCode.OK });
    this.span.end();
  }
}
