// The one place where error kinds become HTTP statuses, and the body takes Dapr's shape.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { asDuetimeError } from '../../app/store-failures.js';
import { DuetimeError, QuotaExceededError, type ErrorKind } from '../../core/errors.js';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  aborted: 409,
  'too-large': 413,
  quota: 429,
  unavailable: 503,
  internal: 500,
};

export interface DaprErrorBody {
  errorCode: string;
  message: string;
  details: unknown[];
}

/**
 * Dapr's HTTP error body: the rich error model's details in JSON, as Dapr's own tests read them.
 * ErrorInfo always (reason = the error code, domain dapr.io, as the gRPC errors carry it), then
 * BadRequest naming the field when there is one.
 */
export function errorBody(code: string, message: string, field?: string): DaprErrorBody {
  const details: unknown[] = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: code, domain: 'dapr.io', metadata: null }];
  if (field) details.push({ '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: [{ field, description: message }] });
  return { errorCode: code, message, details };
}

/** What an error answers: status, Dapr's body, and the log line it is worth (none for the caller's own mistakes). */
export interface ErrorAnswer {
  status: number;
  body: DaprErrorBody;
  /** Seconds, for a 429: retrying sooner would only be refused again. */
  retryAfterS?: number;
  log?: { level: 'warn' | 'error'; msg: string };
}

/** The answer to an error from a route, a hook or the body parser; `bodyLimit` names the limit in a 413. */
export function errorAnswer(error: FastifyError | Error, bodyLimit: number): ErrorAnswer {
  if (error instanceof DuetimeError) {
    const body = errorBody(error.code, error.message, error.field);
    // Whole seconds, rounded up: retrying sooner would only be refused again.
    if (error instanceof QuotaExceededError) return { status: STATUS[error.kind], body, retryAfterS: Math.max(1, Math.ceil(error.retryAfterMs / 1000)) };
    return { status: STATUS[error.kind], body };
  }
  // The store's trouble (a write race, locked, disk full, unreachable): 409 or 503, not a bug.
  const storeError = asDuetimeError(error);
  if (storeError) return { status: STATUS[storeError.kind], body: errorBody(storeError.code, storeError.message), log: { level: 'warn', msg: 'request failed in the job store' } };
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, body: errorBody('ERR_MALFORMED_REQUEST', `the body is larger than the limit of ${bodyLimit} bytes; send a smaller data payload`) };
  }
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, body: errorBody('ERR_MALFORMED_REQUEST', `malformed request: ${fastifyError.message}`) };
  }
  return { status: 500, body: errorBody('ERR_INTERNAL', 'internal error; see the server log'), log: { level: 'error', msg: 'request failed' } };
}

export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const answer = errorAnswer(error, request.server.initialConfig.bodyLimit ?? 0);
  if (answer.log) request.log[answer.log.level]({ err: error, reqId: request.id }, answer.log.msg);
  if (answer.retryAfterS !== undefined) void reply.header('retry-after', String(answer.retryAfterS));
  void reply.status(answer.status).send(answer.body);
}
