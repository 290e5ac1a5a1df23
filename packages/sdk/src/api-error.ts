// An error answer of Duetime's API, in Dapr's body shape {errorCode, message, details}: from the
// HTTP API (DuetimeClient), or a gRPC status mapped to the same fields (DuetimeGrpcClient).

export class DuetimeApiError extends Error {
  /** Over gRPC: the status code the call failed with (status.NOT_FOUND, ...); undefined over HTTP. */
  readonly grpcCode: number | undefined;
  /** With a 429: how long the server asks to wait before sending again (its Retry-After), ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    /** HTTP status: 400 invalid, 401/403 auth, 404 not found, 409 exists, 413 too large, 429 over the app's quota, 503 not ready. */
    readonly status: number,
    /** Dapr's error code, e.g. DAPR_SCHEDULER_SCHEDULE_EMPTY. */
    readonly errorCode: string,
    message: string,
    readonly details: unknown[] = [],
    options: { grpcCode?: number; cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'DuetimeApiError';
    this.grpcCode = options.grpcCode;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Builds the error from a response body, whatever it holds. */
  static fromResponse(status: number, text: string, options: { retryAfterMs?: number } = {}): DuetimeApiError {
    try {
      const body = JSON.parse(text) as { errorCode?: unknown; message?: unknown; details?: unknown };
      if (typeof body.errorCode === 'string' && typeof body.message === 'string') {
        return new DuetimeApiError(status, body.errorCode, body.message, Array.isArray(body.details) ? body.details : [], options);
      }
    } catch {
      // not JSON: fall through
    }
    return new DuetimeApiError(status, `HTTP_${status}`, text.trim() || `HTTP ${status}`, [], options);
  }
}
