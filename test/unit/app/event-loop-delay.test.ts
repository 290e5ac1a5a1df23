// duetime_event_loop_delay_seconds counts how late its 10 ms timer fired, since start: a loop held
// for 100 ms shows as a sample above 50 ms, and a scrape does not reset what was counted (as
// prom-client's nodejs_eventloop_lag_* do). The hold is a lower bound only (load can make the
// sample later, never earlier); it was 60 ms, and a sample taken just before the hold began is
// due 10 ms into it, so its delay could land on the 50 ms bucket's edge and fail.

import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { trackEventLoopDelay } from '../../../src/app/event-loop-delay.js';

let stop: (() => void) | undefined;
afterEach(() => stop?.());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function histogram(registry: Registry): Promise<{ count: number; over50ms: number }> {
  const [metric] = await registry.getMetricsAsJSON();
  const values = metric!.values as Array<{ metricName?: string; labels: { le?: number | string }; value: number }>;
  const count = values.find((v) => v.metricName === 'duetime_event_loop_delay_seconds_count')!.value;
  const upTo50ms = values.find((v) => v.metricName === 'duetime_event_loop_delay_seconds_bucket' && v.labels.le === 0.05)!.value;
  return { count, over50ms: count - upTo50ms };
}

describe('event-loop delay histogram', () => {
  it('records a held loop, and keeps counting across scrapes', async () => {
    const registry = new Registry();
    stop = trackEventLoopDelay(registry);
    await sleep(30);
    const start = performance.now();
    while (performance.now() - start < 100) {
      // holds the event loop, as a long synchronous turn would
    }
    await sleep(30);
    const first = await histogram(registry);
    expect(first.count).toBeGreaterThan(0);
    expect(first.over50ms).toBeGreaterThanOrEqual(1); // more only on a machine busy enough to hold it too
    await sleep(30);
    const second = await histogram(registry);
    expect(second.count).toBeGreaterThan(first.count);
    expect(second.over50ms).toBeGreaterThanOrEqual(first.over50ms);
  });
});
