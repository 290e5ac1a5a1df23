/*
 * Long-lived gRPC calls (WatchJobs, WatchHosts) check their token once, when they open; unary
 * calls and HTTP requests check it on every request. When the API tokens change (SIGHUP,
 * app/token-reload.ts) each open stream is checked again against the new tokens, and one whose
 * token is no longer valid, or is now bound to another app than the one the stream serves, is
 * ended (UNAUTHENTICATED / PERMISSION_DENIED), so a revoked token keeps no access.
 *
 *   held --tokens replaced, check passes--> held
 *   held --tokens replaced, check fails--> revoked (takes nothing more) --> ended with the error
 *   held --the stream ends on its own--> forgotten
 *
 * Two passes: every stream to end is revoked before any is ended. Ending a WatchJobs stream hands
 * its triggers in flight to another stream of the app; without the first pass that could be the
 * next stream of the same revoked token, which would be sent the trigger before its own turn came.
 */

export interface RecheckedStream {
  /** The error to end the stream with under the tokens now in force; undefined when it may stay. */
  recheck(): unknown;
  /** Stops the stream taking anything new: whatever would be sent to it goes elsewhere. */
  revoke(): void;
  /** Ends the stream with the error (its triggers in flight are handed on). */
  end(error: unknown): void;
}

export class StreamRechecks {
  private readonly streams = new Set<RecheckedStream>();

  /** Holds an authenticated stream; returns what forgets it (call when it ends). */
  add(stream: RecheckedStream): () => void {
    this.streams.add(stream);
    return () => this.streams.delete(stream);
  }

  /** Checks every held stream again and ends those that fail. */
  recheckAll(): { kept: number; ended: number } {
    const failing: Array<{ stream: RecheckedStream; error: unknown }> = [];
    for (const stream of this.streams) {
      let error: unknown;
      try {
        error = stream.recheck();
      } catch (thrown) {
        // A check that cannot decide does not let the stream stay.
        error = thrown ?? new Error('the stream could not be checked again');
      }
      if (error !== undefined) failing.push({ stream, error });
    }
    for (const { stream } of failing) {
      this.streams.delete(stream);
      stream.revoke();
    }
    for (const { stream, error } of failing) {
      try {
        stream.end(error);
      } catch {
        // A stream that broke while being ended is gone either way; the others still end.
      }
    }
    return { kept: this.streams.size, ended: failing.length };
  }
}
