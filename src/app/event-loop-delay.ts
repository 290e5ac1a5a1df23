// duetime_event_loop_delay_seconds: how late a timer set for every 10 ms fired, as a Prometheus
// histogram that is never reset. Every trigger fires from a timer, so this is the part of a
// trigger's lateness the process itself adds (a long synchronous turn, a GC pause). prom-client's
// nodejs_eventloop_lag_* gauges read a perf_hooks.monitorEventLoopDelay histogram that every
// scrape resets (two scrapers each see only the time since the other's), and they include the
// 10 ms sampling interval in every value; this one counts since start, so rate() and
// histogram_quantile() work over any window, and its values are the delay alone.

import { performance } from 'node:perf_hooks';
import { Histogram, type Registry } from 'prom-client';

/** Seconds: a healthy loop is under 1-2 ms; the steady-rate targets are 5 and 20 ms (issue 12). */
export const EVENT_LOOP_DELAY_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** How often the loop is sampled: 100 observations a second, a few microseconds of CPU each. */
const SAMPLE_EVERY_MS = 10;

/** Starts sampling into a histogram registered with `registry`; answers a function that stops it. */
export function trackEventLoopDelay(registry: Registry): () => void {
  const histogram = new Histogram({
    name: 'duetime_event_loop_delay_seconds',
    help: 'How late a timer set every 10 ms fired (event-loop delay), since start',
    buckets: EVENT_LOOP_DELAY_BUCKETS,
    registers: [registry],
  });
  let stopped = false;
  let expected = performance.now() + SAMPLE_EVERY_MS;
  const sample = (): void => {
    if (stopped) return;
    const now = performance.now();
    histogram.observe(Math.max(0, now - expected) / 1000);
    expected = now + SAMPLE_EVERY_MS;
    timer = setTimeout(sample, SAMPLE_EVERY_MS).unref();
  };
  // unref: the sampler alone never keeps the process alive.
  let timer = setTimeout(sample, SAMPLE_EVERY_MS).unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
