import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/core/engine/engine.js';
import { makeHarness, T0 } from './harness.js';
import type { Outcome } from '../../../src/core/model/trigger.js';

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness;
afterEach(async () => {
  h.assertNeverEarly();
  await h.engine.stop();
});

describe('engine: control', () => {
  it('delete before the trigger: nothing is delivered', async () => {
    h = await makeHarness();
    await h.schedule('gone', { dueTime: '5s' });
    await h.clock.advance(1_000);
    await h.jobs.delete(h.key('gone'));
    await h.clock.advance(10_000);
    expect(h.target.deliveries).toHaveLength(0);
  });

  it('overwrite resets progress; without overwrite a taken name is refused', async () => {
    h = await makeHarness();
    await h.schedule('ow', { schedule: '@every 1s' });
    await h.clock.advance(3_000);
    await expect(h.schedule('ow', { schedule: '@every 1s' })).rejects.toMatchObject({ kind: 'conflict' });
    await h.schedule('ow', { schedule: '@every 10s', overwrite: true });
    expect((await h.jobs.get(h.key('ow'))).status.count).toBe(0);
    await h.clock.advance(10_000);
    expect(h.target.of('ow').map((d) => d.at - T0)).toEqual([1000, 2000, 3000, 13_000]);
  });

  it('overwrite while a trigger is in flight: the old outcome is ignored, the new job runs after it', async () => {
    h = await makeHarness();
    let release: (() => void) | undefined;
    h.target.respond = (t) => (t.data === 'old' ? new Promise((resolve) => (release = () => resolve({ kind: 'done' }))) : { kind: 'done' });
    await h.schedule('swap', { dueTime: '1s', data: 'old' });
    await h.clock.advance(1_000);
    await h.schedule('swap', { dueTime: '1s', data: 'new', overwrite: true });
    await h.clock.advance(2_000);
    expect(h.target.of('swap').map((d) => d.trigger.data)).toEqual(['old']); // one in flight
    release!();
    await h.clock.advance(0);
    expect(h.target.of('swap').map((d) => d.trigger.data)).toEqual(['old', 'new']);
    await h.clock.advance(5_000);
    expect(await h.store.get(h.key('swap'))).toBeUndefined();
  });

  it('pause stops ticks; resume continues (catch-up all replays the paused ticks)', async () => {
    h = await makeHarness();
    await h.schedule('p', { schedule: '@every 1s' });
    await h.clock.advance(2_000);
    const paused = await h.jobs.pause(h.key('p'));
    expect(paused.status.state).toBe('paused');
    await h.clock.advance(3_000);
    expect(h.target.of('p')).toHaveLength(2);
    await h.jobs.resume(h.key('p'));
    await h.clock.advance(0);
    expect(h.target.of('p').map((d) => d.trigger.scheduledAt - T0)).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it('resume with catchUp none skips the ticks missed while paused', async () => {
    h = await makeHarness();
    await h.schedule('pn', { schedule: '@every 1s', catchUp: 'none' });
    await h.clock.advance(1_000);
    await h.jobs.pause(h.key('pn'));
    await h.clock.advance(5_500);
    await h.jobs.resume(h.key('pn'));
    await h.clock.advance(2_000);
    expect(h.target.of('pn').map((d) => d.trigger.scheduledAt - T0)).toEqual([1000, 7500, 8500]);
  });

  it('trigger-now delivers an extra, manual trigger without moving the schedule', async () => {
    h = await makeHarness();
    await h.schedule('m', { schedule: '@every 10s' });
    await h.clock.advance(3_000);
    await h.jobs.trigger(h.key('m'));
    await h.clock.advance(0);
    const manual = h.target.of('m');
    expect(manual).toHaveLength(1);
    expect(manual[0]!.trigger.manual).toBe(true);
    expect(manual[0]!.at).toBe(T0 + 3_000);
    await h.clock.advance(7_000);
    expect(h.target.of('m').map((d) => [d.at - T0, d.trigger.manual])).toEqual([
      [3_000, true],
      [10_000, false],
    ]);
    expect((await h.jobs.get(h.key('m'))).status.count).toBe(1);
  });

  it('trigger-now works on a paused job and on one due next year', async () => {
    h = await makeHarness();
    await h.schedule('far', { dueTime: '2027-06-01T00:00:00Z' });
    expect(h.engine.stats().inMemory).toBe(0);
    await h.jobs.trigger(h.key('far'));
    await h.clock.advance(0);
    expect(h.target.of('far')).toHaveLength(1);
    expect(await h.store.get(h.key('far'))).toBeDefined(); // the real tick is still to come
  });

  it('unknown job: pause, resume and trigger say not found', async () => {
    h = await makeHarness();
    await expect(h.jobs.pause(h.key('nope'))).rejects.toMatchObject({ kind: 'not-found' });
    await expect(h.jobs.trigger(h.key('nope'))).rejects.toMatchObject({ kind: 'not-found' });
  });
});

describe('engine: memory holds only what is due soon', () => {
  it('10,000 jobs due next year leave the window empty; a job due now enters it', async () => {
    h = await makeHarness();
    for (let i = 0; i < 10_000; i++) await h.schedule(`far-${i}`, { dueTime: '2027-03-01T00:00:00Z' });
    await h.clock.advance(60_000);
    expect(h.engine.stats().inMemory).toBe(0);
    await h.schedule('soon', { dueTime: '5s' });
    expect(h.engine.stats().inMemory).toBe(1);
  });

  it('a job beyond the window is loaded by refill before it is due', async () => {
    h = await makeHarness({ lookaheadMs: 10_000, refillIntervalMs: 2_000 });
    await h.schedule('later', { dueTime: '60s' });
    expect(h.engine.stats().inMemory).toBe(0);
    await h.clock.advance(60_000);
    expect(h.target.of('later').map((d) => d.at - T0)).toEqual([60_000]);
  });
});

describe('engine: catch-up after downtime', () => {
  async function downtime(catchUp: string) {
    h = await makeHarness();
    await h.schedule('cu', { schedule: '@every 1s', catchUp });
    await h.clock.advance(1_000);
    await h.engine.stop();
    await h.clock.advance(10_000); // down from 1 s to 11 s: ticks 2..11 missed
    const engine = new Engine(h.store, h.target, h.clock, { random: () => 0 });
    h.engine = engine;
    await engine.start();
    await h.clock.advance(1_500);
    return h.target.of('cu').map((d) => d.trigger.scheduledAt - T0);
  }

  it('all: every missed tick is delivered', async () => {
    expect(await downtime('all')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((s) => s * 1000));
  });

  it('one: only the latest missed tick', async () => {
    expect(await downtime('one')).toEqual([1000, 11_000, 12_000]);
  });

  it('none: no missed tick', async () => {
    expect(await downtime('none')).toEqual([1000, 12_000]);
  });
});

describe('engine: catch-up on a backlog created while running', () => {
  it('none: a schedule whose dueTime is long past fires once, then continues from now', async () => {
    h = await makeHarness();
    await h.schedule('backlog', { schedule: '@every 1s', dueTime: '2025-12-31T00:00:00Z', catchUp: 'none' });
    await h.clock.advance(2_000);
    const ticks = h.target.of('backlog').map((d) => d.trigger.scheduledAt);
    expect(ticks[0]).toBe(Date.parse('2025-12-31T00:00:00Z'));
    expect(ticks.slice(1).map((t) => t - T0)).toEqual([1000, 2000]);
  });

  it('one: a target down for a while gets only the latest missed tick afterwards', async () => {
    h = await makeHarness();
    let down = true;
    h.target.respond = () => (down ? { kind: 'failed', detail: 'down' } : { kind: 'done' });
    await h.schedule('outage', { schedule: '@every 1s', catchUp: 'one', failurePolicy: { constant: { interval: '1s' } } });
    await h.clock.advance(10_500); // tick 1 s is retried until 10 s while ticks 2..10 pass
    down = false;
    await h.clock.advance(1_000);
    expect(h.target.of('outage').filter((d) => d.trigger.attempt === 1).map((d) => d.trigger.scheduledAt - T0)).toEqual([1000, 11_000]);
  });
});

describe('engine: stop', () => {
  it('waits for a delivery in flight and the commit of its outcome', async () => {
    h = await makeHarness();
    let answer!: (outcome: Outcome) => void;
    h.target.respond = () => new Promise<Outcome>((resolve) => (answer = resolve));
    await h.schedule('slow', { dueTime: '1s' });
    await h.clock.advance(1_000);
    expect(h.target.of('slow')).toHaveLength(1);
    let stopped = false;
    const stopping = h.engine.stop().then(() => (stopped = true));
    await flushTurns();
    expect(stopped).toBe(false); // the delivery is still out
    answer({ kind: 'done' });
    await stopping;
    // Stopped only after the outcome was committed: the one-shot job is gone from the store.
    expect(await h.store.get(h.key('slow'))).toBeUndefined();
  });
});

/** Lets the microtask queue and the check phase (where outcome batches flush) run a few times. */
async function flushTurns(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
