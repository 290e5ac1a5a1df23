// The hot-path histogram must read exactly as prom-client's Histogram fed the same observations:
// same text exposition lines, same get() values (the dashboard's live stats read those).

import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CountingHistogram } from '../../../src/app/counting-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const VALUES = [0, 0.0005, 0.001, 0.002, 0.01, 0.05, 0.5, 1, 3, 60];

async function exposition(registry: Registry): Promise<string> {
  return registry.metrics();
}

describe('counting histogram', () => {
  it('without labels: the same exposition as prom-client, zero series before any observation', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const mine = new CountingHistogram({ name: 'h_seconds', help: 'help', buckets: BUCKETS, registers: [ours] });
    const ref = new Histogram({ name: 'h_seconds', help: 'help', buckets: BUCKETS, registers: [theirs] });
    expect(await exposition(ours)).toBe(await exposition(theirs));
    for (const v of VALUES) {
      mine.observe(v);
      ref.observe(v);
    }
    expect(await exposition(ours)).toBe(await exposition(theirs));
    const [a, b] = [await mine.get(), await ref.get()];
    expect(a.values.map((v) => [v.metricName, String(v.labels.le), v.value])).toEqual(b.values.map((v) => [(v as { metricName?: string }).metricName, String(v.labels.le), v.value]));
  });

  it('with labels: a series per label set, `times` equal observations at once', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const mine = new CountingHistogram({ name: 'w_seconds', help: 'help', buckets: BUCKETS, labelNames: ['operation'], registers: [ours] });
    const ref = new Histogram({ name: 'w_seconds', help: 'help', buckets: BUCKETS, labelNames: ['operation'], registers: [theirs] });
    expect(await exposition(ours)).toBe(await exposition(theirs));
    const commit = mine.labels({ operation: 'commit' });
    for (const v of VALUES) {
      commit.observe(v, 3);
      for (let i = 0; i < 3; i++) ref.observe({ operation: 'commit' }, v);
    }
    mine.labels({ operation: 'create' }).observe(0.02);
    ref.observe({ operation: 'create' }, 0.02);
    expect(mine.labels({ operation: 'commit' })).toBe(commit);
    expect(await exposition(ours)).toBe(await exposition(theirs));
    expect(() => commit.observe(Number.NaN)).toThrow(TypeError);
  });

  it('reset zeroes every series, and a series kept by its caller still counts', async () => {
    const mine = new CountingHistogram({ name: 'r_seconds', help: 'help', buckets: BUCKETS, labelNames: ['operation'] });
    const kept = mine.labels({ operation: 'x' });
    kept.observe(0.5);
    mine.reset();
    kept.observe(2);
    const values = (await mine.get()).values;
    expect(values.find((v) => v.metricName === 'r_seconds_count')?.value).toBe(1);
    expect(values.find((v) => v.metricName === 'r_seconds_sum')?.value).toBe(2);
  });
});
