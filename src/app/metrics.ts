// Prometheus metrics fed by the engine's events: lateness (delivery start minus due instant) as
// a histogram, attempts by outcome, and the in-memory window's size.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Engine } from '../core/engine/engine.js';

export function createMetrics(engine: Engine): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'duetime_process_' });
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
      this.set({ phase: 'staged' }, s.staged);
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
