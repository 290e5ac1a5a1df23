// What the bench's receivers record, and the arithmetic on it the burst stages share. Every
// receiver (bench/burst-receiver.js for HTTP callbacks, bench/watch-receiver.js for WatchJobs,
// bench/bullmq-worker.js for BullMQ's in-process worker) answers the same two GETs, served by
// bench/lib/arrival-records.js:
//   /count -> {"count": n}, cheap, polled while a burst drains
//   /stats -> every record, column-wise {names, receivedAt, scheduledAt, attempts, via}

import { sleep } from './stage.js';
import { ascending, percentile } from './stats.js';

export interface ReceiverStats {
  names: string[];
  /** Date.now() at the receiver when the job arrived. */
  receivedAt: number[];
  /** The instant the job was due, ms, when the transport carries it (null when not). */
  scheduledAt: Array<number | null>;
  /** The attempt number the transport reported (0 when it reports none). */
  attempts: number[];
  /** The path segment before /job/ ('' for none; the cluster bench's replica name); absent from older receivers. */
  via?: string[];
}

/** How a burst of jobs due at one instant arrived. */
export interface DrainSummary {
  delivered: number;
  /** Distinct jobs delivered. */
  distinct: number;
  duplicates: number;
  /** Jobs expected but never delivered. */
  missing: number;
  /** Deliveries before their due instant (must be 0). */
  early: number;
  /** First and last delivery relative to the due instant, ms. */
  firstMs: number;
  drainMs: number;
  /** Deliveries per second between the first and the last. */
  deliveriesPerS: number;
  latenessMs: { p50: number; p90: number; p99: number; p999: number; max: number; min: number };
  /** Wall-clock instant of the last delivery, ms. */
  lastAt: number;
}

export async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** true once the receiver counted `count` arrivals, false if the deadline passed first. */
export async function waitForCount(receiverUrl: string, count: number, deadline: number): Promise<boolean> {
  // Polled every 100 ms: a GET that costs the receiver next to nothing next to 20,000 arrivals.
  for (;;) {
    const { count: got } = await fetchJson<{ count: number }>(`${receiverUrl}/count`);
    if (got >= count) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/** The records whose job name starts with prefix (a receiver also counts warm-ups and peers). */
export function onlyPrefix(stats: ReceiverStats, prefix: string): ReceiverStats {
  const keep: number[] = [];
  stats.names.forEach((name, i) => name.startsWith(prefix) && keep.push(i));
  return {
    names: keep.map((i) => stats.names[i]!),
    receivedAt: keep.map((i) => stats.receivedAt[i]!),
    scheduledAt: keep.map((i) => stats.scheduledAt[i] ?? null),
    attempts: keep.map((i) => stats.attempts[i]!),
    ...(stats.via ? { via: keep.map((i) => stats.via![i] ?? '') } : {}),
  };
}

/**
 * Drain time, lateness and correctness of `expected` jobs all due at dueAt. Lateness is taken
 * against each record's own scheduled instant when the transport carried it, else against dueAt
 * (WatchJobs carries no scheduled time; every job of a burst shares the one instant anyway).
 */
export function summariseDrain(stats: ReceiverStats, dueAt: number, expected: number): DrainSummary {
  const n = stats.names.length;
  const distinct = new Set(stats.names).size;
  let early = 0;
  const lateness: number[] = [];
  for (let i = 0; i < n; i++) {
    const late = stats.receivedAt[i]! - (stats.scheduledAt[i] ?? dueAt);
    if (late < 0) early++;
    lateness.push(late);
  }
  const sortedLateness = ascending(lateness);
  const received = ascending(stats.receivedAt);
  const first = received[0] ?? Number.NaN;
  const last = received[received.length - 1] ?? Number.NaN;
  return {
    delivered: n,
    distinct,
    duplicates: n - distinct,
    missing: Math.max(0, expected - distinct),
    early,
    firstMs: first - dueAt,
    drainMs: last - dueAt,
    deliveriesPerS: Math.round(n / Math.max(0.001, (last - first) / 1000)),
    latenessMs: {
      min: sortedLateness[0] ?? Number.NaN,
      p50: percentile(sortedLateness, 50),
      p90: percentile(sortedLateness, 90),
      p99: percentile(sortedLateness, 99),
      p999: percentile(sortedLateness, 99.9),
      max: sortedLateness[sortedLateness.length - 1] ?? Number.NaN,
    },
    lastAt: last,
  };
}
