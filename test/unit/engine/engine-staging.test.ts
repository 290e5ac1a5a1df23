// Staging, bulkheads and listener isolation (issue: every trigger reaches its app). Each test
// here failed on the engine that kept staged triggers in memory and shared one in-flight pool.

import { afterEach, describe, expect, it } from 'vitest';
import type { Outcome, Trigger } from '../../../src/core/model/trigger.js';
import { makeHarness } from './harness.js';

let h: Awaited<ReturnType<typeof makeHarness>>;
afterEach(async () => {
  await h?.stop();
});

/** A target that stages every trigger of the apps in `away`, and delivers the rest. */
function awayApps(away: Set<string>): (t: Trigger) => Outcome {
  return (t) => (away.has(t.key.appId) ? { kind: 'staged', detail: `no endpoint for ${t.key.appId}` } : { kind: 'done' });
}

describe('engine: staged triggers live in the store', () => {
  it('a trigger with no consumer waits without using retries, out of memory, and goes out when released', async () => {
    h = await makeHarness();
    const away = new Set(['app']);
    h.target.respond = awayApps(away);
    await h.schedule('st', { dueTime: '1s' });
    await h.clock.advance(30_000);
    expect(h.target.of('st')).toHaveLength(1);
    expect(h.engine.stats().inMemory).toBe(0);
    const record = await h.store.get(h.key('st'));
    expect(record?.progress).toMatchObject({ staged: true, attempts: 0 });
    expect((await h.jobs.get(h.key('st'))).status.state).toBe('staged');
    expect(await h.store.stagedCounts()).toEqual([{ namespace: 'default', appId: 'app', count: 1 }]);
    away.clear();
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    expect(h.target.of('st')).toHaveLength(2);
    expect(h.target.of('st')[1]!.trigger.attempt).toBe(1);
    expect(h.target.of('st')[1]!.trigger.triggerId).toBe(h.target.of('st')[0]!.trigger.triggerId);
    expect(await h.store.get(h.key('st'))).toBeUndefined();
    h.assertNeverEarly();
  });

  it("a 'staged' listener that releases the app finds the trigger: the job's lock is free when the event comes (a consumer that connected during the staging commit)", async () => {
    h = await makeHarness();
    const away = new Set(['app']);
    h.target.respond = awayApps(away);
    // As StagedRelease does when a consumer is live: release on 'staged'. The consumer appears
    // while the staging commit is under way, so only this listener can bring the trigger back.
    h.engine.events.on('staged', ({ key }) => {
      away.clear();
      h.engine.releaseStaged(key.namespace, key.appId);
    });
    await h.schedule('race', { dueTime: '1s' });
    await h.clock.advance(1_000);
    await h.clock.advance(0);
    expect(h.target.of('race').map((d) => d.trigger.attempt)).toEqual([1, 1]);
    expect(await h.store.get(h.key('race'))).toBeUndefined();
    expect(await h.store.stagedCounts()).toEqual([]);
  });

  it("an away app's staged triggers never count toward the refill: another app's later job still fires on time", async () => {
    h = await makeHarness({ refillLimit: 10, lookaheadMs: 10_000, refillIntervalMs: 2_000 });
    h.target.respond = awayApps(new Set(['offline']));
    for (let i = 0; i < 25; i++) await h.jobs.schedule({ namespace: 'default', appId: 'offline', name: `o${i}` }, { dueTime: '1s' });
    await h.jobs.schedule({ namespace: 'default', appId: 'live', name: 'later' }, { dueTime: '30s' });
    await h.clock.advance(40_000);
    const later = h.target.deliveries.filter((d) => d.trigger.key.appId === 'live');
    expect(later).toHaveLength(1);
    expect(later[0]!.at - later[0]!.trigger.scheduledAt).toBe(0);
    expect(h.engine.stats().inMemory).toBe(0);
    expect(await h.store.stagedCounts()).toEqual([{ namespace: 'default', appId: 'offline', count: 25 }]);
  });

  it('a release goes out in due order, paced: no more than releaseBatch held at once, every trigger once', async () => {
    h = await makeHarness({ releaseBatch: 50 });
    const away = new Set(['app']);
    let maxHeld = 0;
    h.target.respond = (t) => {
      maxHeld = Math.max(maxHeld, h.engine.stats().inMemory);
      return awayApps(away)(t);
    };
    for (let i = 0; i < 400; i++) await h.schedule(`j${String(i).padStart(3, '0')}`, { dueTime: `${1 + i}ms` });
    await h.clock.advance(1_000);
    expect(h.target.deliveries).toHaveLength(400);
    away.clear();
    maxHeld = 0;
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    await h.clock.advance(100);
    const released = h.target.deliveries.slice(400).map((d) => d.trigger.key.name);
    expect(released).toHaveLength(400);
    expect(new Set(released).size).toBe(400);
    expect(released).toEqual([...released].sort());
    expect(maxHeld).toBeLessThanOrEqual(50);
    expect(await h.store.stagedCounts()).toEqual([]);
  });

  it('a release stops when the app goes away again, and the rest stay staged', async () => {
    h = await makeHarness({ releaseBatch: 10 });
    const away = new Set(['app']);
    h.target.respond = awayApps(away);
    for (let i = 0; i < 30; i++) await h.schedule(`j${i}`, { dueTime: '1s' });
    await h.clock.advance(2_000);
    expect(h.target.deliveries).toHaveLength(30);
    h.engine.releaseStaged('default', 'app'); // still away: each released trigger is staged again
    await h.clock.advance(1_000);
    expect(h.target.deliveries.length).toBeLessThanOrEqual(30 + 10);
    expect(await h.store.stagedCounts()).toEqual([{ namespace: 'default', appId: 'app', count: 30 }]);
    expect(h.engine.stats().inMemory).toBe(0);
  });

  it('a recurring job delivered after a release goes on with its schedule, no longer staged', async () => {
    h = await makeHarness();
    const away = new Set(['app']);
    h.target.respond = awayApps(away);
    await h.schedule('every', { schedule: '@every 10s', repeats: 3 });
    await h.clock.advance(15_000);
    expect((await h.store.get(h.key('every')))?.progress.staged).toBe(true);
    away.clear();
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(30_000);
    const ticks = h.target.of('every').filter((d, i, all) => all.findIndex((e) => e.trigger.triggerId === d.trigger.triggerId) === i);
    expect(ticks.map((d) => d.trigger.scheduledAt - ticks[0]!.trigger.scheduledAt)).toEqual([0, 10_000, 20_000]);
    expect(await h.store.get(h.key('every'))).toBeUndefined();
    h.assertNeverEarly();
  });

  it('catch-up "none" applies on release: a staged recurring job skips what it missed', async () => {
    h = await makeHarness();
    const away = new Set(['app']);
    h.target.respond = awayApps(away);
    await h.schedule('skip', { schedule: '@every 10s', catchUp: 'none' } as Record<string, unknown>);
    await h.clock.advance(10_000);
    await h.clock.advance(100_000);
    away.clear();
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    const afterRelease = h.target.of('skip').slice(1);
    expect(afterRelease.every((d) => d.trigger.scheduledAt > h.clock.now() - 1)).toBe(true);
  });
});

describe('engine: bulkheads', () => {
  it('an app that never answers uses only its own share of in-flight slots; another app goes on time', async () => {
    h = await makeHarness({ maxInFlight: 10, maxInFlightPerApp: 4, stopTimeoutMs: 50 });
    h.target.respond = (t) => (t.key.appId === 'slow' ? new Promise<Outcome>(() => {}) : { kind: 'done' });
    for (let i = 0; i < 50; i++) await h.jobs.schedule({ namespace: 'default', appId: 'slow', name: `s${i}` }, { dueTime: '1s' });
    for (let i = 0; i < 20; i++) await h.jobs.schedule({ namespace: 'default', appId: 'fast', name: `f${i}` }, { dueTime: '1s' });
    await h.clock.advance(1_000);
    await h.clock.advance(0);
    const byApp = (app: string) => h.target.deliveries.filter((d) => d.trigger.key.appId === app);
    expect(byApp('slow')).toHaveLength(4);
    expect(byApp('fast')).toHaveLength(20);
    expect(byApp('fast').every((d) => d.at === d.trigger.scheduledAt)).toBe(true);
  });

  it('apps share scarce slots in turn, not first come first served', async () => {
    h = await makeHarness({ maxInFlight: 2, maxInFlightPerApp: 2, stopTimeoutMs: 50 });
    const pending: Array<() => void> = [];
    h.target.respond = () => new Promise<Outcome>((resolve) => pending.push(() => resolve({ kind: 'done' })));
    for (let i = 0; i < 10; i++) await h.jobs.schedule({ namespace: 'default', appId: 'a', name: `a${i}` }, { dueTime: '1s' });
    for (let i = 0; i < 10; i++) await h.jobs.schedule({ namespace: 'default', appId: 'b', name: `b${i}` }, { dueTime: '1s' });
    await h.clock.advance(1_000);
    for (let round = 0; round < 3; round++) {
      for (const finish of pending.splice(0)) finish();
      await h.clock.advance(0);
    }
    const apps = h.target.deliveries.map((d) => d.trigger.key.appId);
    expect(apps.slice(0, 8).filter((a) => a === 'b').length).toBeGreaterThanOrEqual(3);
  });
});

describe('engine: listeners cannot wedge it', () => {
  it('a listener that throws is reported, and the job goes on as if it were not there', async () => {
    h = await makeHarness();
    const errors: string[] = [];
    h.engine.events.on('error', ({ context }) => errors.push(context));
    h.engine.events.on('dispatched', () => {
      throw new Error('listener bug');
    });
    h.engine.events.on('attempted', () => {
      throw new Error('another listener bug');
    });
    await h.schedule('tick', { schedule: '@every 1s', repeats: 3 });
    await h.clock.advance(5_000);
    expect(h.target.of('tick')).toHaveLength(3);
    expect(await h.store.get(h.key('tick'))).toBeUndefined();
    expect(h.engine.stats().inFlight).toBe(0);
    expect(errors.filter((c) => c.startsWith('listener')).length).toBeGreaterThanOrEqual(6);
  });

  it('a throwing error listener does not loop or escape', async () => {
    h = await makeHarness();
    h.engine.events.on('error', () => {
      throw new Error('error listener bug');
    });
    h.engine.events.on('finished', () => {
      throw new Error('finished listener bug');
    });
    await h.schedule('once', { dueTime: '1s' });
    await h.clock.advance(2_000);
    expect(h.target.of('once')).toHaveLength(1);
    expect(await h.store.get(h.key('once'))).toBeUndefined();
  });
});
