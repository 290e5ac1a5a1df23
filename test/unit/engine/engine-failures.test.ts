import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness, T0 } from './harness.js';

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness;
afterEach(async () => {
  h.assertNeverEarly();
  await h.engine.stop();
});

const fail = () => ({ kind: 'failed' as const, detail: 'HTTP 500' });

describe('engine: failure policies', () => {
  it('default policy: 4 attempts a tick, 1 s apart, then the tick is given up and counted', async () => {
    h = await makeHarness();
    h.target.respond = fail;
    await h.schedule('d', { schedule: '@every 10s', repeats: 2 });
    await h.clock.advance(10_000 + 5_000);
    const first = h.target.of('d').map((d) => [d.at - T0, d.trigger.attempt]);
    expect(first).toEqual([
      [10_000, 1],
      [11_000, 2],
      [12_000, 3],
      [13_000, 4],
    ]);
    const ids = new Set(h.target.of('d').map((d) => d.trigger.triggerId));
    expect(ids.size).toBe(1); // one idempotency key for every attempt of a tick
    const view = await h.jobs.get(h.key('d'));
    expect(view.status.count).toBe(1);
    const history = await h.jobs.history(h.key('d'));
    expect(history.map((e) => e.outcome)).toEqual(['dropped', 'failed', 'failed', 'failed']);
    // The next tick follows the schedule from the given-up tick's instant.
    await h.clock.advance(20_000);
    expect(h.target.of('d').filter((d) => d.trigger.attempt === 1).map((d) => d.at - T0)).toEqual([10_000, 20_000]);
    expect(await h.store.get(h.key('d'))).toBeUndefined();
  });

  it('drop: one attempt only', async () => {
    h = await makeHarness();
    h.target.respond = fail;
    await h.schedule('drop', { dueTime: '1s', failurePolicy: { drop: {} } });
    await h.clock.advance(60_000);
    expect(h.target.of('drop')).toHaveLength(1);
    expect(await h.store.get(h.key('drop'))).toBeUndefined();
  });

  it('constant without maxRetries retries until the target succeeds', async () => {
    h = await makeHarness();
    let calls = 0;
    h.target.respond = () => (++calls < 10 ? fail() : { kind: 'done' });
    await h.schedule('forever', { dueTime: '1s', failurePolicy: { constant: { interval: '2s' } } });
    await h.clock.advance(60_000);
    expect(h.target.of('forever').map((d) => d.at - T0)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19].map((s) => s * 1000));
    expect(await h.store.get(h.key('forever'))).toBeUndefined();
  });

  it('accepts max_retries (Dapr spelling)', async () => {
    h = await makeHarness();
    h.target.respond = fail;
    await h.schedule('snake', { dueTime: '1s', failure_policy: { constant: { interval: '1s', max_retries: 1 } } });
    await h.clock.advance(60_000);
    expect(h.target.of('snake')).toHaveLength(2);
  });

  it('exponential: intervals grow by the multiplier up to the cap', async () => {
    h = await makeHarness();
    h.target.respond = fail;
    await h.schedule('exp', {
      dueTime: '1s',
      failurePolicy: { exponential: { initialInterval: '1s', maxInterval: '5s', multiplier: 2, maxRetries: 5 } },
    });
    await h.clock.advance(120_000);
    // attempts at 1, then +1, +2, +4, +5 (capped), +5
    expect(h.target.of('exp').map((d) => (d.at - T0) / 1000)).toEqual([1, 2, 4, 8, 13, 18]);
  });

  it('a retry is due at the failed attempt\'s scheduled time plus the interval, even when the attempt was slow', async () => {
    h = await makeHarness();
    let release: (() => void) | undefined;
    let calls = 0;
    h.target.respond = () => {
      calls++;
      if (calls > 1) return { kind: 'done' };
      // The first attempt takes 300 ms to fail.
      return new Promise((resolve) => {
        release = () => resolve(fail());
      });
    };
    await h.schedule('slow', { dueTime: '1s', failurePolicy: { constant: { interval: '1s', maxRetries: 2 } } });
    await h.clock.advance(1_300);
    release!();
    await h.clock.advance(5_000);
    expect(h.target.of('slow').map((d) => d.at - T0)).toEqual([1000, 2000]);
  });

  it('a 404 counts as done (the deliverer maps it) and is not retried', async () => {
    h = await makeHarness();
    h.target.respond = () => ({ kind: 'done', detail: 'HTTP 404' });
    await h.schedule('nf', { dueTime: '1s' });
    await h.clock.advance(10_000);
    expect(h.target.of('nf')).toHaveLength(1);
  });
});

describe('engine: one trigger in flight per job', () => {
  it('the next tick waits for the outcome of the current one', async () => {
    h = await makeHarness();
    const releases: Array<() => void> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    h.target.respond = () =>
      new Promise((resolve) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        releases.push(() => {
          inFlight--;
          resolve({ kind: 'done' });
        });
      });
    await h.schedule('serial', { schedule: '@every 100ms', repeats: 5 });
    await h.clock.advance(1_000); // ten intervals pass while the first delivery hangs
    expect(h.target.of('serial')).toHaveLength(1);
    for (let i = 0; i < 5; i++) {
      releases.shift()?.();
      await h.clock.advance(0);
    }
    expect(maxInFlight).toBe(1);
    // The ticks that were due while the first was in flight follow one by one (catch-up all).
    expect(h.target.of('serial').map((d) => d.trigger.scheduledAt - T0)).toEqual([100, 200, 300, 400, 500]);
  });

  it('caps deliveries in flight across jobs', async () => {
    h = await makeHarness({ maxInFlight: 3 });
    const releases: Array<() => void> = [];
    h.target.respond = () => new Promise((resolve) => releases.push(() => resolve({ kind: 'done' })));
    for (let i = 0; i < 10; i++) await h.schedule(`j${i}`, { dueTime: '1s' });
    await h.clock.advance(1_000);
    expect(h.target.deliveries).toHaveLength(3);
    while (releases.length) {
      releases.shift()!();
      await h.clock.advance(0);
    }
    expect(h.target.deliveries).toHaveLength(10);
  });
});
