// An error answer of Duetime's HTTP API, in Dapr's body shape {errorCode, message, details}.

export class DuetimeApiError extends Error {
  constructor(
    /** HTTP status: 400 invalid, 401/403 auth, 404 not found, 409 exists, 413 too large, 503 not ready. */
    readonly status: number,
    /** Dapr's error code, e.g. DAPR_SCHEDULER_SCHEDULE_EMPTY. */
    readonly errorCode: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = 'DuetimeApiError';
  }

  /** Builds the error from a response body, whatever it holds. */
  static fromResponse(status: number, text: string): DuetimeApiError {
    try {
      const body = JSON.parse(text) as { errorCode?: unknown; message?: unknown; details?: unknown };
      if (typeof body.errorCode === 'string' && typeof body.message === 'string') {
        return new DuetimeApiError(status, body.errorCode, body.message, Array.isArray(body.details) ? body.details : []);
      }
    } catch {
      // not JSON: fall through
    }
    return new DuetimeApiError(status, `HTTP_${status}`, text.trim() || `HTTP ${status}`);
  }
}
