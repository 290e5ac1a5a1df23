import type { ComponentHealth } from '../../../core/ports/component-health.js';

/**
 * The connection state of one adapter, fed by its client's events. Operations call waitUp()
 * first: while the client is (re)connecting they wait for it, at most the connect timeout, so
 * a short blip or the first connection at start-up does not fail a trigger, and a broker that
 * stays down fails it within a bounded time.
 */
export class ConnectionHealth implements ComponentHealth {
  #up = false;
  #closed = false;
  #lastError: string | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(
    /** Names the component in messages: `pubsub "orders" (pubsub.redis)`. */
    readonly label: string,
  ) {}

  /** The client is connected and usable. */
  up(): void {
    this.#up = true;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** The client lost (or could not make) its connection. */
  down(reason: string): void {
    this.#up = false;
    this.#lastError = reason;
  }

  /** An operation failed without telling us the connection is gone; kept for /readyz. */
  noteError(reason: string): void {
    this.#lastError = reason;
  }

  close(): void {
    this.#closed = true;
    this.#up = false;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  get isUp(): boolean {
    return this.#up;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  healthy(): boolean {
    return this.#up;
  }

  lastError(): string | undefined {
    return this.#lastError;
  }

  /** Resolves once connected; rejects after `ms` (or at once when closed) naming the last error. */
  async waitUp(ms: number): Promise<void> {
    if (this.#closed) throw new Error(`${this.label}: closed`);
    if (this.#up) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.add(wake);
    });
    if (this.#closed) throw new Error(`${this.label}: closed`);
    if (!this.#up) {
      const why = this.#lastError ? ` (last error: ${this.#lastError})` : '';
      throw new Error(`${this.label}: not connected after waiting ${ms} ms${why}`);
    }
  }
}
