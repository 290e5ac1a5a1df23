export { OtelTracer, otlpTracesUrl, SPAN_ATTRIBUTES, type OtelTracerOptions } from './otel-tracer.js';
