// The one place where error kinds become gRPC status codes (the HTTP twin is
// api/http/error-mapping.ts). The status carries the message as its details, the Dapr error code
// in `dapr-error-code` trailing metadata, and google.rpc details (ErrorInfo with the code as
// reason, BadRequest naming the field) in `grpc-status-details-bin`, as Dapr's own errors do.

import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { asDuetimeError } from '../../app/store-failures.js';
import { DuetimeError, QuotaExceededError, type ErrorKind } from '../../core/errors.js';
import { ProtoWriter } from '@duetime/sdk/protocol';

const CODE: Record<ErrorKind, status> = {
  invalid: status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  conflict: status.ALREADY_EXISTS,
  aborted: status.ABORTED,
  'too-large': status.RESOURCE_EXHAUSTED,
  quota: status.RESOURCE_EXHAUSTED,
  unauthenticated: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  unavailable: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

export type GrpcError = Partial<ServiceError> & { code: status; details: string };

/** A failure with a gRPC status of its own, for what no ErrorKind says (UNIMPLEMENTED, a bad stream message). */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: status,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcStatusError';
  }
}

export function toGrpcError(error: unknown, logger: Logger): GrpcError {
  if (error instanceof QuotaExceededError) return statusError(CODE[error.kind], error.code, error.message, error.field, error.retryAfterMs);
  if (error instanceof DuetimeError) return statusError(CODE[error.kind], error.code, error.message, error.field);
  if (error instanceof GrpcStatusError) return statusError(error.code, error.errorCode, error.message);
  // The store's trouble (a write race, locked, disk full, unreachable): ABORTED or UNAVAILABLE.
  const storeError = asDuetimeError(error);
  if (storeError) {
    logger.warn({ err: error }, 'gRPC call failed in the job store');
    return statusError(CODE[storeError.kind], storeError.code, storeError.message);
  }
  logger.error({ err: error }, 'gRPC call failed');
  return statusError(status.INTERNAL, 'ERR_INTERNAL', 'internal error; see the server log');
}

/** `retryAfterMs`: a quota's wait, as a RetryInfo detail and `retry-after` metadata (whole seconds, as HTTP's). */
export function statusError(code: status, errorCode: string, message: string, field?: string, retryAfterMs?: number): GrpcError {
  const metadata = new Metadata();
  metadata.set('dapr-error-code', errorCode);
  if (retryAfterMs !== undefined) metadata.set('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  metadata.set('grpc-status-details-bin', statusDetails(code, errorCode, message, field, retryAfterMs));
  return { code, details: message, message, metadata };
}

// google.rpc.Status{code = 1, message = 2, repeated Any details = 3}; Any{type_url = 1, value = 2};
// ErrorInfo{reason = 1, domain = 2}; BadRequest{repeated FieldViolation field_violations = 1};
// FieldViolation{field = 1, description = 2}; RetryInfo{Duration retry_delay = 1};
// Duration{seconds = 1, nanos = 2}.
function statusDetails(code: status, errorCode: string, message: string, field?: string, retryAfterMs?: number): Buffer {
  const writer = new ProtoWriter().varint(1, code).string(2, message);
  const errorInfo = new ProtoWriter().string(1, errorCode).string(2, 'dapr.io').finish();
  writer.message(3, (any) => any.string(1, 'type.googleapis.com/google.rpc.ErrorInfo').bytesField(2, errorInfo));
  if (field) {
    const badRequest = new ProtoWriter().message(1, (violation) => violation.string(1, field).string(2, message)).finish();
    writer.message(3, (any) => any.string(1, 'type.googleapis.com/google.rpc.BadRequest').bytesField(2, badRequest));
  }
  if (retryAfterMs !== undefined) {
    const ms = Math.max(0, Math.ceil(retryAfterMs));
    const delay = new ProtoWriter().varint(1, Math.floor(ms / 1000)).varint(2, (ms % 1000) * 1_000_000).finish();
    const retryInfo = new ProtoWriter().bytesField(1, delay).finish();
    writer.message(3, (any) => any.string(1, 'type.googleapis.com/google.rpc.RetryInfo').bytesField(2, retryInfo));
  }
  return writer.finish();
}
