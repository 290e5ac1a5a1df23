import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness, T0 } from './harness.js';

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness;
afterEach(async () => {
  h.assertNeverEarly();
  await h.engine.stop();
});

describe('engine: how fields combine into ticks', () => {
  it('fires a one-shot dueTime once, at its instant, then deletes the job', async () => {
    h = await makeHarness();
    await h.schedule('once', { dueTime: '10s', data: { hello: 'world' } });
    await h.clock.advance(9_999);
    expect(h.target.deliveries).toHaveLength(0);
    await h.clock.advance(1);
    expect(h.target.of('once').map((d) => d.at)).toEqual([T0 + 10_000]);
    expect(h.target.deliveries[0]!.trigger.data).toEqual({ hello: 'world' });
    expect(h.target.deliveries[0]!.trigger.attempt).toBe(1);
    await h.clock.advance(60_000);
    expect(h.target.deliveries).toHaveLength(1);
    expect(await h.store.get(h.key('once'))).toBeUndefined();
  });

  it('fires a past RFC3339 dueTime at once', async () => {
    h = await makeHarness();
    await h.schedule('past', { dueTime: '2020-01-01T00:00:00Z' });
    await h.clock.advance(0);
    expect(h.target.of('past')).toHaveLength(1);
  });

  it('repeats @every with a repeat count, from the previous scheduled instant', async () => {
    h = await makeHarness();
    await h.schedule('rep', { schedule: '@every 1s', repeats: 3 });
    await h.clock.advance(10_000);
    expect(h.target.of('rep').map((d) => d.trigger.scheduledAt - T0)).toEqual([1000, 2000, 3000]);
    expect(await h.store.get(h.key('rep'))).toBeUndefined();
  });

  it('follows a 6-field cron, first tick strictly after creation', async () => {
    h = await makeHarness();
    await h.clock.advance(500); // creation at :00.500
    await h.schedule('cron', { schedule: '*/2 * * * * *', repeats: 3 });
    await h.clock.advance(10_000);
    expect(h.target.of('cron').map((d) => d.trigger.scheduledAt - T0)).toEqual([2000, 4000, 6000]);
  });

  it('with schedule and dueTime, fires at dueTime and then on the schedule from there', async () => {
    h = await makeHarness();
    await h.schedule('both', { schedule: '@every 5s', dueTime: '2s', repeats: 3 });
    await h.clock.advance(30_000);
    expect(h.target.of('both').map((d) => d.trigger.scheduledAt - T0)).toEqual([2000, 7000, 12000]);
  });

  it('stops before any tick later than the ttl', async () => {
    h = await makeHarness();
    await h.schedule('ttl', { schedule: '@every 1s', ttl: '3500ms' });
    await h.clock.advance(10_000);
    expect(h.target.of('ttl').map((d) => d.trigger.scheduledAt - T0)).toEqual([1000, 2000, 3000]);
    expect(await h.store.get(h.key('ttl'))).toBeUndefined();
  });

  it('counts a relative ttl from dueTime', async () => {
    h = await makeHarness();
    await h.schedule('ttl2', { schedule: '@every 1s', dueTime: '5s', ttl: '2s' });
    await h.clock.advance(20_000);
    expect(h.target.of('ttl2').map((d) => d.trigger.scheduledAt - T0)).toEqual([5000, 6000, 7000]);
  });

  it('records status: count, lastTrigger, nextTrigger', async () => {
    h = await makeHarness();
    await h.schedule('status', { schedule: '@every 1s' });
    await h.clock.advance(2_000);
    const view = await h.jobs.get(h.key('status'));
    expect(view.status).toMatchObject({ count: 2, attempts: 0, state: 'active', lastTrigger: new Date(T0 + 2000).toISOString(), nextTrigger: new Date(T0 + 3000).toISOString() });
  });

  it('never delivers a tick before it is due, also when the timer would fire early', async () => {
    h = await makeHarness();
    await h.schedule('exact', { dueTime: '1500ms' });
    await h.clock.advance(1499);
    expect(h.target.of('exact')).toHaveLength(0);
    await h.clock.advance(1);
    expect(h.target.of('exact')[0]!.at).toBe(T0 + 1500);
  });

  it('delivers jobs due at one instant in key order, after the earlier instants', async () => {
    h = await makeHarness();
    // Names in scrambled order; enough of them at one instant for the engine to order the tie.
    const names = Array.from({ length: 100 }, (_, i) => `job-${((i * 37) % 100).toString().padStart(3, '0')}`);
    for (const name of names) await h.schedule(name, { dueTime: '2s' });
    await h.schedule('zz-earlier', { dueTime: '1s' });
    await h.clock.advance(5_000);
    expect(h.target.deliveries.map((d) => d.trigger.key.name)).toEqual(['zz-earlier', ...[...names].sort()]);
  });

  it('moves a burst of due jobs to the ready queue a slice per turn, still in key order, and delivers them all', async () => {
    h = await makeHarness({ maxInFlight: 5_000, maxInFlightPerApp: 5_000 });
    const count = 2_500;
    const names = Array.from({ length: count }, (_, i) => `job-${((i * 7_919) % count).toString().padStart(5, '0')}`);
    // How many had left the heap (ready or delivering) when each timer callback returned.
    const movedAtReturn: number[] = [];
    const setTimer = h.clock.setTimer.bind(h.clock);
    h.clock.setTimer = (at, fn) =>
      setTimer(at, () => {
        fn();
        const stats = h.engine.stats();
        movedAtReturn.push(stats.queued + stats.inFlight);
      });
    for (const name of names) await h.schedule(name, { dueTime: '2s' });
    await h.clock.advance(5_000);
    expect(movedAtReturn[0]).toBeLessThanOrEqual(1_024);
    expect(h.target.deliveries.map((d) => d.trigger.key.name)).toEqual([...names].sort());
  });
});
