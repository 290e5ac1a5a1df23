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
  const bound = jsonBytesBound(payload.data, limits.maxDepth);
  if (bound < 0) throw dataTooDeepError(limits.maxDepth, code);
  // The size is counted exactly (JSON.stringify) only when the bound says it might be over: the
  // usual small payload is not written out twice (the store writes it again with the job).
  if (bound <= limits.maxBytes) return;
  // Within the depth limit, JSON.stringify cannot overflow the stack.
  const bytes = Buffer.byteLength(JSON.stringify(payload.data) ?? '', 'utf8');
  if (bytes > limits.maxBytes) throw dataTooLargeError(bytes, limits.maxBytes, code);
}

/** True when `value` has more than `maxDepth` levels of objects and arrays. Iterative: any depth is safe. */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  return jsonBytesBound(value, maxDepth) < 0;
}

/** Most UTF-8 bytes one UTF-16 unit of a string takes in JSON: `\uXXXX` (a raw character is at most 3). */
const BYTES_PER_UNIT = 6;
/** Longest JSON a number takes: `-0.0000012345678901234567` is 25 characters (NaN and Infinity are `null`). */
const NUMBER_BYTES = 32;

/**
 * -1 when `value` has more than `maxDepth` levels of objects and arrays; else at least the UTF-8
 * bytes of JSON.stringify(value) (Infinity when it holds anything but JSON's own values in plain
 * objects and arrays: a toJSON, a class instance, a bigint). One iterative walk, any depth.
 */
export function jsonBytesBound(value: unknown, maxDepth: number): number {
  if (value === null || typeof value !== 'object') return scalarBound(value);
  const values: unknown[] = [value];
  const depths: number[] = [1];
  let bound = 0;
  while (values.length > 0) {
    const current = values.pop() as object;
    const depth = depths.pop()!;
    if (depth > maxDepth) return -1;
    const proto: unknown = Object.getPrototypeOf(current);
    const plain = proto === Object.prototype || proto === null || (proto === Array.prototype && Array.isArray(current));
    if (!plain || typeof (current as { toJSON?: unknown }).toJSON === 'function') bound = Infinity;
    bound += 2; // the brackets
    if (Array.isArray(current)) {
      for (const child of current as unknown[]) {
        if (child !== null && typeof child === 'object') {
          values.push(child);
          depths.push(depth + 1);
          bound += 1; // its comma
        } else {
          bound += scalarBound(child) + 1;
        }
      }
    } else {
      for (const name in current) {
        if (!Object.hasOwn(current, name)) continue;
        const child = (current as Record<string, unknown>)[name];
        bound += BYTES_PER_UNIT * name.length + 4; // the quoted key, its colon and comma
        if (child !== null && typeof child === 'object') {
          values.push(child);
          depths.push(depth + 1);
        } else {
          bound += scalarBound(child);
        }
      }
    }
  }
  return bound;
}

function scalarBound(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return BYTES_PER_UNIT * value.length + 2;
    case 'number':
      return NUMBER_BYTES;
    case 'boolean':
    case 'undefined':
    case 'function':
    case 'symbol':
      return 5; // false, or null in an array
    default:
      return value === null ? 4 : Infinity; // a bigint: JSON.stringify throws, as it did before
  }
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
