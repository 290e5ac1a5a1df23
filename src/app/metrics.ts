// Prometheus metrics fed by the engine's events: lateness (delivery start minus due instant) as
// a histogram, attempts by outcome, and the in-memory window's size.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Engine } from '../core/engine/engine.js';
import type { StagedCount } from '../core/ports/job-store.js';

export interface MetricsSources {
  /** Staged triggers per app, from the store (a cluster replica: its own partitions). */
  stagedCounts(): Promise<StagedCount[]>;
}

/** A scrape reads the staged counts at most this often; they come from an index scan. */
const STAGED_COUNTS_MAX_AGE_MS = 5_000;

export function createMetrics(engine: Engine, sources: MetricsSources): Registry {
  const registry = new Registry();
  // The client library's standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes...),
  // which Node.js dashboards expect; a prefix would only double theirs (duetime_process_process_...).
  collectDefaultMetrics({ register: registry });
  const lateness = new Histogram({
    name: 'duetime_trigger_lateness_seconds',
    help: 'Delivery start minus the attempt due instant',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'duetime_trigger_attempts_total',
    help: 'Delivery attempts by outcome (success, failed, dropped, staged)',
    labelNames: ['outcome'],
    registers: [registry],
  });
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
    attempts.inc({ outcome: e.outcome });
  });
  engine.events.on('error', (e) => errors.inc({ context: e.context }));
  engine.events.on('finished', () => finished.inc());
  return registry;
}
