import type { ComponentHealth } from '../../../core/ports/component-health.js';
import { ConnectionHealth } from './connection-health.js';
import { errorMessage } from './error-message.js';

/**
 * What every component adapter (pub/sub, state store, output binding) shares: its health for
 * `/readyz`, the note-then-rethrow of a failed operation, and a close that runs once.
 *
 * A subclass keeps `health` current from its client's events (up/down), calls `failed()` in
 * the catch of an operation, and releases its client in `release()`. close() marks the
 * component closed at once (so waiting and later operations reject), then releases; a second
 * close() returns the first one's promise.
 */
export abstract class HealthTrackedComponent implements ComponentHealth {
  protected readonly health: ConnectionHealth;
  #closing: Promise<void> | undefined;

  constructor(
    /** Names the component in messages: `pubsub "orders" (pubsub.redis)`. */
    label: string,
  ) {
    this.health = new ConnectionHealth(label);
  }

  healthy(): boolean {
    return this.health.healthy();
  }

  lastError(): string | undefined {
    return this.health.lastError();
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.health.close();
      this.#closing = this.release();
    }
    return this.#closing;
  }

  /** Frees the client after close(); runs once. Never rejects for a server that is gone. */
  protected abstract release(): Promise<void>;

  /** Rejects an operation on a closed component. */
  protected assertOpen(): void {
    if (this.health.isClosed) throw new Error(`${this.health.label}: closed`);
  }

  /**
   * Records why `what` failed (kept for /readyz; with `mark: 'down'` the component also counts
   * as unhealthy until an operation or its connection succeeds again) and returns the error to
   * throw: `<label>: <what> failed: <reason>`, with the original as its cause.
   */
  protected failed(what: string, err: unknown, mark: 'note' | 'down' = 'note', reason = errorMessage(err)): Error {
    if (mark === 'down') this.health.down(reason);
    else this.health.noteError(reason);
    return new Error(`${this.health.label}: ${what} failed: ${reason}`, { cause: err });
  }
}
