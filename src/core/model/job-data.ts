// Limits on a job's payload (docs/security.md, "Limits on requests and stored jobs"), checked once
// when a job or reminder is written, so that nothing stored can break a read or a stream later:
// data nested thousands deep overflows every recursive encoder on the way out (JSON.stringify,
// our google.protobuf.Value writer), and a reader cannot tell one bad job from a broken stream.
//
// Why 32 levels by default: JSON data travels over gRPC as a google.protobuf.Value, where each
// object level costs three messages (Value, Struct, the map entry) and each array level two. Data
// nested 32 objects deep is 97 messages deep, within the 100 levels that protobuf's C++, Java,
// Python and C# parsers accept by default, so any Dapr SDK can read what a consumer is sent.

import { DuetimeError, InvalidRequestError } from '../errors.js';
import type { RawPayload } from './job.js';
import { rawPayloadAsJson } from './raw-payload.js';

export interface DataLimits {
  /** Most levels of objects and arrays in `data` (a scalar is 0, `{}` is 1). @defaultValue 32 */
  maxDepth: number;
  /** Most bytes of `data` as compact JSON, or of a raw payload. @defaultValue 1048576 */
  maxBytes: number;
}

export const DEFAULT_DATA_LIMITS: DataLimits = { maxDepth: 32, maxBytes: 1024 * 1024 };

/** Throws unless the payload is within the limits: 400 (depth) or 413 (size), naming `data`. */
export function checkJobData(payload: { data?: unknown; rawData?: RawPayload }, limits: DataLimits, code: string): void {
  if (payload.rawData) {
    const bytes = Buffer.byteLength(payload.rawData.value, 'base64');
    if (bytes > limits.maxBytes) throw dataTooLargeError(bytes, limits.maxBytes, code);
    // A wrapper of JSON (how a Dapr sidecar hands over reminder data) is parsed on delivery.
    if (exceedsDepth(rawPayloadAsJson(payload.rawData), limits.maxDepth)) throw dataTooDeepError(limits.maxDepth, code);
    return;
  }
  if (payload.data === undefined) return;
  if (exceedsDepth(payload.data, limits.maxDepth)) throw dataTooDeepError(limits.maxDepth, code);
  // Within the depth limit, JSON.stringify cannot overflow the stack.
  const bytes = Buffer.byteLength(JSON.stringify(payload.data) ?? '', 'utf8');
  if (bytes > limits.maxBytes) throw dataTooLargeError(bytes, limits.maxBytes, code);
}

/** True when `value` has more than `maxDepth` levels of objects and arrays. Iterative: any depth is safe. */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    const inner = depth + 1;
    if (inner > maxDepth) return true;
    const children = Array.isArray(current) ? current : Object.values(current as Record<string, unknown>);
    for (const child of children) if (child !== null && typeof child === 'object') stack.push({ value: child, depth: inner });
  }
  return false;
}

export function dataTooDeepError(maxDepth: number, code: string): InvalidRequestError {
  return new InvalidRequestError(
    code,
    `data is nested more than ${maxDepth} levels deep (objects and arrays), the limit set by --max-data-depth; send flatter data`,
    'data',
  );
}

export function dataTooLargeError(bytes: number, maxBytes: number, code: string): DuetimeError {
  return new DuetimeError(
    'too-large',
    code,
    `data is ${bytes} bytes, over the limit of ${maxBytes} bytes set by --max-data-bytes; send less, or keep the payload elsewhere and put a reference to it in data`,
    'data',
  );
}
