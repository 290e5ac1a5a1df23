// A failed gRPC call as the DuetimeApiError DuetimeClient throws for the same answer over HTTP,
// so that callers handle both clients alike. The server sends the HTTP API's message as the
// status message, Dapr's error code in `dapr-error-code` trailing metadata, and google.rpc
// details in `grpc-status-details-bin` (src/api/grpc/grpc-errors.ts).

import { status, type ServiceError } from '@grpc/grpc-js';
import { readFields, type ProtoField } from './protocol/protobuf-wire.js';
import { DuetimeApiError } from './api-error.js';
import { retryAfterMs } from './rate-limit-retry.js';

/** The HTTP status each gRPC code stands for, as the server maps its error kinds both ways. */
const HTTP_STATUS: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.FAILED_PRECONDITION]: 400,
  [status.OUT_OF_RANGE]: 400,
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.ABORTED]: 409,
  [status.RESOURCE_EXHAUSTED]: 413, // Duetime's message size limit (the HTTP body limit)
  [status.CANCELLED]: 499,
  [status.UNIMPLEMENTED]: 501,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 504,
};

/** Codes grpc-js itself reports when no answer came (no connection, deadline, cancelled). */
const TRANSPORT = new Set<status>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED]);

const ERROR_INFO_URL = 'type.googleapis.com/google.rpc.ErrorInfo';
const BAD_REQUEST_URL = 'type.googleapis.com/google.rpc.BadRequest';

/**
 * A DuetimeApiError when the server answered with an error; the ServiceError itself when
 * nothing answered (connection refused, deadline exceeded, cancelled without Duetime's error
 * code), as DuetimeClient lets fetch's own errors through.
 */
export function fromServiceError(error: ServiceError): Error {
  const headerCode = firstString(error.metadata?.get('dapr-error-code'));
  if (headerCode === undefined && TRANSPORT.has(error.code)) return error;
  const { reason, details } = statusDetails(error.metadata?.get('grpc-status-details-bin')[0]);
  const errorCode = headerCode ?? reason ?? `GRPC_${status[error.code] ?? error.code}`;
  // RESOURCE_EXHAUSTED is a message too large (413), or, with a wait named, the app's schedule quota (429).
  const waitMs = error.code === status.RESOURCE_EXHAUSTED ? retryAfterMs(firstString(error.metadata?.get('retry-after'))) : undefined;
  const httpStatus = waitMs !== undefined ? 429 : (HTTP_STATUS[error.code] ?? 500);
  return new DuetimeApiError(httpStatus, errorCode, error.details || error.message, details, { grpcCode: error.code, cause: error, retryAfterMs: waitMs });
}

/** google.rpc.Status details: ErrorInfo's reason, and the ErrorInfo and BadRequest entries in the HTTP API's JSON shape. */
function statusDetails(bytes: unknown): { reason?: string; details: unknown[] } {
  if (!Buffer.isBuffer(bytes)) return { details: [] };
  try {
    let reason: string | undefined;
    const details: unknown[] = [];
    // Status{code = 1, message = 2, repeated Any details = 3}; Any{type_url = 1, value = 2}.
    for (const any of lengthDelimited(readFields(bytes), 3)) {
      const fields = readFields(any);
      const typeUrl = lengthDelimited(fields, 1)[0]?.toString('utf8');
      const value = lengthDelimited(fields, 2)[0] ?? Buffer.alloc(0);
      // ErrorInfo{reason = 1, domain = 2}, kept in the HTTP API's JSON shape as well
      if (typeUrl === ERROR_INFO_URL) {
        const info = readFields(value);
        const infoReason = lengthDelimited(info, 1)[0]?.toString('utf8') ?? '';
        reason = infoReason || reason;
        details.push({ '@type': ERROR_INFO_URL, reason: infoReason, domain: lengthDelimited(info, 2)[0]?.toString('utf8') ?? '', metadata: null });
      }
      // BadRequest{repeated FieldViolation field_violations = 1}; FieldViolation{field = 1, description = 2}
      if (typeUrl === BAD_REQUEST_URL) {
        const violations = lengthDelimited(readFields(value), 1).map((violation) => {
          const parts = readFields(violation);
          return { field: lengthDelimited(parts, 1)[0]?.toString('utf8') ?? '', description: lengthDelimited(parts, 2)[0]?.toString('utf8') ?? '' };
        });
        details.push({ '@type': BAD_REQUEST_URL, field_violations: violations });
      }
    }
    return { ...(reason ? { reason } : {}), details };
  } catch {
    return { details: [] }; // undecodable details: the code and message still stand
  }
}

function lengthDelimited(fields: ProtoField[], field: number): Buffer[] {
  return fields.filter((f) => f.field === field && f.wireType === 2).map((f) => f.value as Buffer);
}

function firstString(values: Array<string | Buffer> | undefined): string | undefined {
  const value = values?.[0];
  const text = typeof value === 'string' ? value : value?.toString('utf8');
  return text === undefined || text === '' ? undefined : text;
}
