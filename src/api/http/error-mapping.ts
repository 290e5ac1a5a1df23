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

export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof DuetimeError) {
    // Whole seconds, rounded up: retrying sooner would only be refused again.
    if (error instanceof QuotaExceededError) void reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
    void reply.status(STATUS[error.kind]).send(errorBody(error.code, error.message, error.field));
    return;
  }
  // The store's trouble (a write race, locked, disk full, unreachable): 409 or 503, not a bug.
  const storeError = asDuetimeError(error);
  if (storeError) {
    request.log.warn({ err: error, reqId: request.id }, 'request failed in the job store');
    void reply.status(STATUS[storeError.kind]).send(errorBody(storeError.code, storeError.message));
    return;
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    void reply.status(413).send(errorBody('ERR_MALFORMED_REQUEST', `the body is larger than the limit of ${request.server.initialConfig.bodyLimit} bytes; send a smaller data payload`));
    return;
  }
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    void reply.status(fastifyError.statusCode).send(errorBody('ERR_MALFORMED_REQUEST', `malformed request: ${fastifyError.message}`));
    return;
  }
  request.log.error({ err: error, reqId: request.id }, 'request failed');
  void reply.status(500).send(errorBody('ERR_INTERNAL', 'internal error; see the server log'));
}
