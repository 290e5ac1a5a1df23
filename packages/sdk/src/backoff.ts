// Reconnect delays: exponential from `initialMs`, capped at `maxMs`, with up to 20 % jitter so a
// fleet of apps does not reconnect in lockstep after a server restart.

export interface BackoffOptions {
  /** First delay, ms. Default 250. */
  initialMs?: number;
  /** Longest delay, ms. Default 10 000. */
  maxMs?: number;
  /** Growth per failed attempt. Default 2. */
  multiplier?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 10_000;
    this.multiplier = options.multiplier ?? 2;
  }

  /** The delay before the next attempt; each call grows the next one. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.multiplier ** this.attempt);
    this.attempt++;
    return Math.round(base * (0.8 + Math.random() * 0.2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
