// The messages between the store (main thread) and its writer thread. Errors cross as tagged
// data and are rebuilt on the main thread, so a JobExistsError arrives as a JobExistsError.

import { JobExistsError } from '../../core/errors.js';
import type { WireOps } from './writer-codec.js';
import type { WriteOp } from './write-ops.js';

export interface WriterInit {
  path: string;
  busyTimeoutMs: number;
  historyLimit: number;
}

/** A batch's writes cross encoded (writer-codec.ts). */
export type ToWriter = { type: 'batch'; ops: WireOps } | { type: 'close' };

export type WireError = { tag: 'job-exists'; name: string } | { tag: 'error'; name: string; message: string; code?: string };

/**
 * The answer to one batch: each write's value in order, with the few that failed listed apart
 * (index and error), which keeps the common all-succeeded answer cheap to clone; or the error that
 * failed the batch whole.
 */
export type FromWriter =
  | { type: 'results'; values: unknown[]; errors: [index: number, error: WireError][] }
  | { type: 'failed'; error: WireError }
  | { type: 'closed' };

export function encodeError(error: unknown, op?: WriteOp): WireError {
  if (error instanceof JobExistsError && op?.kind === 'create') return { tag: 'job-exists', name: op.row.name };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { tag: 'error', name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { tag: 'error', name: 'Error', message: String(error) };
}

export function decodeError(wire: WireError): Error {
  if (wire.tag === 'job-exists') return new JobExistsError(wire.name);
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.code !== undefined) (error as Error & { code?: string }).code = wire.code;
  return error;
}
