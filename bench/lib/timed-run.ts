// A timed run, the shape the burst, burst-watch, steady and BullMQ stages share: a warm-up of
// warmupJobs that also measures the scheduling (or adding) rate, then `jobs` jobs scheduled ahead
// for a due instant (a burst's one instant, a steady run's T0), then waiting for them to arrive.
// The lead must leave the scheduling time to finish before the instant, and stay within what
// the stage's time limit in run-benchmarks.ts counts on; both rules live here so the stages and
// their BullMQ peers set their instants alike.

import type { DrainSummary } from './receiver-records.js';

/** The lead is never raised beyond this (the stages' time limits count on it). */
export const MAX_LEAD_MS = 45_000;

export interface TimedRunOptions {
  jobs: number;
  /** Delivered before the run: the connections open and the JIT of both paths warm. */
  warmupJobs: number;
  /** The shortest lead of the due instant (rounded up to a whole second); raised when scheduling would not fit in 60% of it. */
  leadMs: number;
  /** Concurrent scheduling requests. */
  concurrency: number;
  /** Give up waiting this long after the (last) due instant. */
  drainTimeoutMs: number;
  /** After the last expected arrival, keep listening this long for duplicates and retries. */
  settleMs: number;
}

/**
 * A steady run (Duetime's steady stages and BullMQ's steady peer) is already running at its rate
 * when the measured window opens: jobs due evenly at the same rate over the STEADY_LEAD_IN_MS
 * before T0, scheduled with the measured ones and delivered to the same receiver, but left out of
 * the lateness figures. Without it the window opened on a system idle for ~25 s (the lead), and its
 * first 0.2 s measured the start from idle (code not run since the warm-up, whose bytecode V8 may
 * have flushed meanwhile) rather than the steady rate the row is about. The delivery connections
 * are not the cause: the warm-up opened them, and none were opened at T0 (counted at the receiver,
 * 2026-12-04).
 */
export const STEADY_LEAD_IN_MS = 500;

/** How many jobs the lead-in holds at ratePerS. */
export function leadInJobs(ratePerS: number): number {
  return Math.round((ratePerS * STEADY_LEAD_IN_MS) / 1000);
}

/** What a timed run that ends in a drain reports, whatever carried the jobs (WatchJobs, BullMQ). */
export interface DrainedRun {
  /** The lead actually used (see TimedRunOptions.leadMs). */
  leadMs: number;
  /** The (first) job's due instant, ISO 8601. */
  dueAt: string;
  /** The warm-up: jobs delivered, then as many scheduled far ahead at perS. */
  warmup: { jobs: number; perS: number };
  /** Every job arrived before drainTimeoutMs ran out. */
  complete: boolean;
  drain: DrainSummary;
}

/**
 * The lead for `jobs` jobs scheduled at perS (the warm-up's rate): options.leadMs, raised so the
 * scheduling takes at most 60% of it, never beyond MAX_LEAD_MS; and the due instant, that lead
 * from now rounded up to a whole second.
 */
export function leadAndDueAt(options: Pick<TimedRunOptions, 'jobs' | 'leadMs'>, perS: number): { leadMs: number; dueAt: number } {
  const predictedMs = (options.jobs / perS) * 1000;
  const leadMs = Math.min(MAX_LEAD_MS, Math.max(options.leadMs, Math.ceil(predictedMs / 0.6)));
  return { leadMs, dueAt: Math.ceil((Date.now() + leadMs) / 1000) * 1000 };
}
