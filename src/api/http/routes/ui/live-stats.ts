// What the dashboard's live view shows, read from the metrics registry the engine feeds
// (app/metrics.ts): the trigger lateness histogram and the attempts by outcome, summed over any
// other labels. Totals since start; the page turns two readings into a rate.

import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

export interface LatenessBucket {
  /** Upper bound in seconds; null for the last (+Inf) bucket. */
  le: number | null;
  /** Observations at or under `le` (cumulative, as Prometheus keeps them). */
  cumulative: number;
}

export interface LiveStats {
  /** Server time of the reading, ms since the epoch. */
  at: number;
  /** Delivery attempts since start, by outcome. */
  attempts: Record<string, number>;
  totalAttempts: number;
  lateness: { buckets: LatenessBucket[]; count: number; sumSeconds: number };
}

const LATENESS = /trigger_lateness_seconds$/;
const ATTEMPTS = /trigger_attempts_total$/;

async function metricValues(registry: Registry, pattern: RegExp): Promise<MetricValue<string>[]> {
  const name = registry.getMetricsAsArray().find((m) => pattern.test(m.name))?.name;
  const metric = name === undefined ? undefined : registry.getSingleMetric(name);
  if (!metric) return [];
  const read = (await metric.get()) as MetricObjectWithValues<MetricValue<string>>;
  return read.values;
}

export async function readLiveStats(registry: Registry, now: number): Promise<LiveStats> {
  const attempts: Record<string, number> = {};
  let totalAttempts = 0;
  for (const v of await metricValues(registry, ATTEMPTS)) {
    const outcome = String(v.labels.outcome ?? 'all');
    attempts[outcome] = (attempts[outcome] ?? 0) + v.value;
    totalAttempts += v.value;
  }
  const byBound = new Map<string, number>();
  let count = 0;
  let sumSeconds = 0;
  for (const v of await metricValues(registry, LATENESS)) {
    const name = (v as MetricValue<string> & { metricName?: string }).metricName ?? '';
    if (name.endsWith('_bucket')) {
      const le = String(v.labels.le);
      byBound.set(le, (byBound.get(le) ?? 0) + v.value);
    } else if (name.endsWith('_count')) count += v.value;
    else if (name.endsWith('_sum')) sumSeconds += v.value;
  }
  const buckets = [...byBound.entries()]
    .map(([le, cumulative]) => ({ le: le === '+Inf' ? null : Number(le), cumulative }))
    .sort((a, b) => (a.le ?? Infinity) - (b.le ?? Infinity));
  return { at: now, attempts, totalAttempts, lateness: { buckets, count, sumSeconds } };
}
