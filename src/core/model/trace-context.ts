// W3C Trace Context (https://www.w3.org/TR/trace-context/) as a job carries it: the traceparent
// and tracestate a caller sent when it scheduled the job, kept with the definition and handed to
// every delivery. The core only checks the form; spans are made by a Tracer (ports/tracer.ts).

export interface TraceContext {
  /** version-traceid-parentid-flags, e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 */
  traceparent: string;
  /** Vendor entries that travel with traceparent; absent when none was sent (or it was unusable). */
  tracestate?: string;
}

/** The spec allows 32 list members of at most 256 characters; we keep a header up to this long. */
export const MAX_TRACESTATE_LENGTH = 512;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);
/** Printable ASCII without controls, as list members are made of. */
const TRACESTATE = /^[\x20-\x7e]*$/;

/**
 * The trace context of a request, or undefined when it has no usable traceparent. As the spec
 * says, a malformed header is ignored, never an error: the job is scheduled without a trace.
 * Headers and metadata may arrive repeated (arrays); tracestate's members are then joined.
 */
export function parseTraceContext(traceparent: unknown, tracestate?: unknown): TraceContext | undefined {
  const parent = single(traceparent)?.trim().toLowerCase();
  if (parent === undefined) return undefined;
  const match = TRACEPARENT.exec(parent);
  if (!match) return undefined;
  const [, version, traceId, parentId, , rest] = match;
  // Version ff is forbidden; version 00 has exactly four fields; later versions may append more.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  const state = joined(tracestate)?.trim();
  const usableState = state !== undefined && state !== '' && state.length <= MAX_TRACESTATE_LENGTH && TRACESTATE.test(state);
  return { traceparent: parent, ...(usableState ? { tracestate: state } : {}) };
}

/** The trace id (32 hex digits) of a valid traceparent. */
export function traceIdOf(context: TraceContext): string {
  return context.traceparent.slice(3, 35);
}

/** The parent (span) id (16 hex digits) of a valid traceparent. */
export function parentIdOf(context: TraceContext): string {
  return context.traceparent.slice(36, 52);
}

function single(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  // Two traceparent headers: the spec says to treat the request as having none.
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return undefined;
}

function joined(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.length > 0 ? value.join(',') : undefined;
  return undefined;
}
