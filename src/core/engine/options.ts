import type { JobDefinition } from '../model/job.js';

/** Engine tuning. Every field has a documented default in defaultEngineOptions. */
export interface EngineOptions {
  /** Jobs due within this many ms are held in memory; later ones stay in the store. */
  lookaheadMs: number;
  /** How often the store is asked for jobs entering the look-ahead window. Must be < lookaheadMs. */
  refillIntervalMs: number;
  /** Most jobs taken from the store per refill. */
  refillLimit: number;
  /** Most deliveries in flight at once, across all jobs. */
  maxInFlight: number;
  /**
   * Most deliveries in flight at once for one app (by namespace and app id): a slow, failing or
   * trickling app holds at most this many of the maxInFlight slots; apps with work waiting are
   * served in turn.
   */
  maxInFlightPerApp: number;
  /**
   * Staged triggers of one app read from the store per step of a release; a release holds at
   * most this many in memory at once and reads more as they go out, so a release of a million
   * staged triggers neither fills memory nor crowds out other apps.
   */
  releaseBatch: number;
  /** A tick found overdue by more than this when a job is loaded counts as missed (catch-up applies). */
  catchUpGraceMs: number;
  /** First wait before retrying a failed store commit; doubles up to 30 s. */
  commitRetryMs: number;
  /** How long stop() waits for deliveries in flight before releasing them. */
  stopTimeoutMs: number;
  /** Source of randomness for exponential-backoff jitter. */
  random: () => number;
  /**
   * Whether a job that finishes (no further tick: delivered, given up, out of repeats or ttl)
   * leaves a tombstone, state completed or failed with its history, written by the same commit as
   * its last outcome, instead of being deleted. Tombstones are purged by the store's
   * purgeFinished (app/tombstone-sweep.ts). Off by default; main.ts turns it on with
   * --tombstone-ttl, for jobs other than actor reminders.
   */
  keepFinished: (def: JobDefinition) => boolean;
}

export const defaultEngineOptions: EngineOptions = {
  lookaheadMs: 20_000,
  refillIntervalMs: 5_000,
  refillLimit: 50_000,
  maxInFlight: 1_000,
  maxInFlightPerApp: 250,
  releaseBatch: 1_000,
  catchUpGraceMs: 1_000,
  commitRetryMs: 100,
  stopTimeoutMs: 10_000,
  random: Math.random,
  keepFinished: () => false,
};
