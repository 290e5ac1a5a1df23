// Prometheus metrics fed by the engine's events: lateness (delivery start minus due instant) as
// a histogram, attempts and deliveries by outcome, and the in-memory window's size; and read at
// scrape time from cheap sources: staged triggers and live jobs per app, partitions owned.
// Every name, with example PromQL and alert rules, is in docs/metrics.md.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Engine } from '../core/engine/engine.js';
import type { StagedCount } from '../core/ports/job-store.js';
import { AttemptTally } from './attempt-tally.js';
import { CountingHistogram, type HistogramSeries } from './counting-histogram.js';
import { trackEventLoopDelay } from './event-loop-delay.js';
import type { TimedOperation } from './timed-store.js';

export interface MetricsSources {
  /** Staged triggers per app, from the store (a cluster replica: its own partitions). */
  stagedCounts(): Promise<StagedCount[]>;
  /** Live jobs per app, where the store keeps the count (SQLite, memory); etcd has none: no gauge. */
  liveCounts?: () => Promise<StagedCount[]>;
  /** Cluster (etcd): partitions this replica fires, and partitions no replica owns. */
  partitions?: () => { owned: number; unowned: number; total: number };
  /** Store write latencies (app/timed-store.ts), registered with the rest. */
  storeLatency?: CountingHistogram<'operation'>;
}

/** A scrape reads the staged and live counts at most this often; staged ones come from an index scan. */
const STAGED_COUNTS_MAX_AGE_MS = 5_000;

/** Trigger lateness buckets, seconds: fine near 0 (a healthy scheduler is a few ms late), up to a minute. */
export const LATENESS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The store write latency histogram (duetime_store_commit_seconds), made before the store is
 * wrapped. Both histograms are observed per delivery: counting-histogram.ts says why not prom-client's.
 */
export function storeLatencyHistogram(): CountingHistogram<'operation'> {
  return new CountingHistogram({
    name: 'duetime_store_commit_seconds',
    help: 'Job store write latency until durable, by operation (commit_progress: a delivery outcome, create, delete)',
    labelNames: ['operation'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [],
  });
}

/** The observer timedStore() calls: `times` writes that each took `seconds` (a batch of commits). */
export function observeStoreLatency(histogram: CountingHistogram<'operation'>): (operation: TimedOperation, seconds: number, times: number) => void {
  const series: Partial<Record<TimedOperation, HistogramSeries>> = {};
  return (operation, seconds, times) => (series[operation] ??= histogram.labels({ operation })).observe(seconds, times);
}

/** duetime_config_reloads_total{setting, result}: one per reload of a setting's file (SIGHUP). */
export function configReloadCounter(registry: Registry): (setting: string, result: 'reloaded' | 'failed') => void {
  const reloads = new Counter({
    name: 'duetime_config_reloads_total',
    help: 'Reloads of a setting file on SIGHUP, by setting and result (failed: the file was refused and the previous value stays)',
    labelNames: ['setting', 'result'],
    registers: [registry],
  });
  return (setting, result) => reloads.inc({ setting, result });
}

export function createMetrics(engine: Engine, sources: MetricsSources): Registry {
  const registry = new Registry();
  // The client library's standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes...),
  // which Node.js dashboards expect; a prefix would only double theirs (duetime_process_process_...).
  collectDefaultMetrics({ register: registry });
  trackEventLoopDelay(registry); // for the process's life, as the default metrics' own sampler
  const lateness = new CountingHistogram({
    name: 'duetime_trigger_lateness_seconds',
    help: 'Delivery start minus the attempt due instant',
    buckets: LATENESS_BUCKETS,
    registers: [registry],
  });
  // Both attempt counters are fed from one tally at scrape time (attempt-tally.ts): whichever of
  // them a scrape reads first adds what was counted since the last scrape to both.
  const tally = new AttemptTally();
  const addCounted = (): void =>
    tally.take((c) => {
      attempts.inc({ outcome: c.outcome }, c.count);
      deliveries.inc({ namespace: c.namespace, app_id: c.appId, target_kind: c.targetKind, outcome: c.outcome }, c.count);
    });
  const attempts = new Counter({
    name: 'duetime_trigger_attempts_total',
    help: 'Delivery attempts by outcome (success, failed, dropped, staged)',
    labelNames: ['outcome'],
    registers: [registry],
    collect: addCounted,
  });
  // The same attempts by app and target kind, for per-app failure ratios (docs/metrics.md).
  const deliveries = new Counter({
    name: 'duetime_deliveries_total',
    help: 'Delivery attempts by app, target kind (app, pubsub, invoke, actor, state, binding...) and outcome (success, failed, dropped, staged)',
    labelNames: ['namespace', 'app_id', 'target_kind', 'outcome'],
    registers: [registry],
    collect: addCounted,
  });
  sources.storeLatency?.register(registry);
  const errors = new Counter({ name: 'duetime_engine_errors_total', help: 'Store and engine errors (retried)', labelNames: ['context'], registers: [registry] });
  const finished = new Counter({ name: 'duetime_jobs_finished_total', help: 'Jobs that ran out of ticks and were deleted', registers: [registry] });
  new Gauge({
    name: 'duetime_engine_jobs',
    help: 'Jobs held by the engine, by phase',
    labelNames: ['phase'],
    registers: [registry],
    collect() {
      const s = engine.stats();
      this.set({ phase: 'in_memory' }, s.inMemory);
      this.set({ phase: 'queued' }, s.queued);
      this.set({ phase: 'in_flight' }, s.inFlight);
      this.set({ phase: 'releasing' }, s.releasing);
    },
  });
  let stagedRead: { at: number; counts: Promise<StagedCount[]> } | undefined;
  new Gauge({
    name: 'duetime_staged_triggers',
    help: 'Triggers waiting in the store for a consumer of their app (no endpoint, stream or actor host), by app',
    labelNames: ['namespace', 'app_id'],
    registers: [registry],
    async collect() {
      const now = Date.now();
      if (!stagedRead || now - stagedRead.at > STAGED_COUNTS_MAX_AGE_MS) stagedRead = { at: now, counts: sources.stagedCounts() };
      let counts: StagedCount[];
      try {
        counts = await stagedRead.counts;
      } catch {
        stagedRead = undefined; // the store is failing: /readyz says so; the gauge keeps its last values
        return;
      }
      this.reset();
      for (const c of counts) this.set({ namespace: c.namespace, app_id: c.appId }, c.count);
    },
  });
  if (sources.liveCounts) {
    const liveCounts = sources.liveCounts;
    let liveRead: { at: number; counts: Promise<StagedCount[]> } | undefined;
    new Gauge({
      name: 'duetime_live_jobs',
      help: 'Jobs with ticks to come (active or paused; tombstones not counted), by app, from the count the store keeps',
      labelNames: ['namespace', 'app_id'],
      registers: [registry],
      async collect() {
        const now = Date.now();
        if (!liveRead || now - liveRead.at > STAGED_COUNTS_MAX_AGE_MS) liveRead = { at: now, counts: liveCounts() };
        let counts: StagedCount[];
        try {
          counts = await liveRead.counts;
        } catch {
          liveRead = undefined; // as the staged gauge: keeps its last values while the store fails
          return;
        }
        this.reset();
        for (const c of counts) this.set({ namespace: c.namespace, app_id: c.appId }, c.count);
      },
    });
  }
  if (sources.partitions) {
    const partitions = sources.partitions;
    new Gauge({
      name: 'duetime_cluster_partitions_owned',
      help: 'Cluster partitions this replica owns and fires',
      registers: [registry],
      collect() {
        this.set(partitions().owned);
      },
    });
    new Gauge({
      name: 'duetime_cluster_partitions_unowned',
      help: 'Cluster partitions no replica owns (their jobs fire nowhere until one takes them)',
      registers: [registry],
      collect() {
        this.set(partitions().unowned);
      },
    });
    new Gauge({
      name: 'duetime_cluster_partitions',
      help: 'Cluster partitions in all (--partitions, fixed when the cluster was created)',
      registers: [registry],
      collect() {
        this.set(partitions().total);
      },
    });
  }
  new Gauge({
    name: 'duetime_engine_listener_errors',
    help: 'Event listener exceptions caught by the engine since start (logged as engine errors)',
    registers: [registry],
    collect() {
      this.set(engine.stats().listenerErrors);
    },
  });
  engine.events.on('attempted', (e) => {
    lateness.observe(Math.max(0, e.lateMs) / 1000);
    tally.add(e.trigger.key.namespace, e.trigger.key.appId, e.trigger.target.kind, e.outcome);
  });
  engine.events.on('error', (e) => errors.inc({ context: e.context }));
  engine.events.on('finished', () => finished.inc());
  return registry;
}
