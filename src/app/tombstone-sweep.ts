/*
 * Purges the tombstones of finished jobs once they are older than --tombstone-ttl. Each round
 * asks the store for at most `pages` pages of `pageSize` (JobStore.purgeFinished: one bounded
 * write each, never a scan of every job), so a backlog of a million tombstones is worked off
 * over several rounds without holding the event loop or the store for long.
 *
 *   idle --start--> waiting --interval--> purging (page after page while pages come back full,
 *   at most `pages`) --> waiting ...      any --stop--> stopped (a round under way finishes its page)
 *
 * In a cluster each replica purges the partitions it owns (the store answers for those).
 */

import type { Clock, TimerHandle } from '../core/clock.js';
import type { JobStore } from '../core/ports/job-store.js';

export interface TombstoneSweepOptions {
  /** How long a tombstone is kept after its job finished, ms; must be > 0. */
  ttlMs: number;
  /** Time between rounds, ms. @defaultValue min(ttlMs / 4, 60 s), at least 1 s */
  intervalMs?: number;
  /** Tombstones per purge call. @defaultValue 500 */
  pageSize?: number;
  /** Most purge calls per round. @defaultValue 20 */
  pages?: number;
  /** A round failed (the store is unreachable): it is tried again at the next interval. */
  onError?: (error: unknown) => void;
  /** A round purged some tombstones. */
  onPurged?: (count: number) => void;
}

export class TombstoneSweep {
  private readonly intervalMs: number;
  private readonly pageSize: number;
  private readonly pages: number;
  private timer: TimerHandle | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: Pick<JobStore, 'purgeFinished'>,
    private readonly clock: Clock,
    private readonly options: TombstoneSweepOptions,
  ) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${options.ttlMs}`);
    this.intervalMs = options.intervalMs ?? Math.max(1_000, Math.min(Math.floor(options.ttlMs / 4), 60_000));
    this.pageSize = options.pageSize ?? 500;
    this.pages = options.pages ?? 20;
  }

  start(): void {
    if (this.stopped || this.timer) return;
    this.arm();
  }

  /** Stops the timer and waits for a round under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.round;
  }

  /** One round now (tests, and the timer): purges what is older than the ttl, page by page. */
  runOnce(): Promise<void> {
    this.round ??= this.purge().finally(() => (this.round = undefined));
    return this.round;
  }

  private arm(): void {
    this.timer = this.clock.setTimer(this.clock.now() + this.intervalMs, () => {
      this.timer = undefined;
      void this.runOnce().then(() => {
        if (!this.stopped) this.arm();
      });
    });
  }

  private async purge(): Promise<void> {
    let total = 0;
    try {
      for (let page = 0; page < this.pages && !this.stopped; page++) {
        const purged = await this.store.purgeFinished(this.clock.now() - this.options.ttlMs, this.pageSize);
        total += purged;
        if (purged < this.pageSize) break;
      }
    } catch (error) {
      this.options.onError?.(error);
    }
    if (total > 0) this.options.onPurged?.(total);
  }
}
