// Outcomes that settle together commit together: one store call for a turn's outcomes, each job
// still under its own lock, and nothing placed before its outcome is durable.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import { JobsService } from '../../../src/app/jobs-service.js';
import { Engine } from '../../../src/core/engine/engine.js';
import { OUTCOME_BATCH_LIMIT } from '../../../src/core/engine/turn-batch.js';
import type { JobKey } from '../../../src/core/model/job.js';
import type { ProgressCommit } from '../../../src/core/ports/job-store.js';
import { FakeClock } from '../../../src/testing/fake-clock.js';
import { ScriptedDeliverer } from '../../../src/testing/scripted-deliverer.js';
import { T0 } from './harness.js';

/** The memory store, counting its commit calls; a batch may be made to fail after writing some. */
class CountingStore extends MemoryJobStore {
  singles = 0;
  batches: number[] = [];
  /** The next batch writes this many of its commits, then rejects. */
  failNextBatchAfter: number | undefined;
  /** While set, single commits wait for it (a slow write holding its job's lock). */
  slowSingles: Promise<void> | undefined;

  override async commitProgress(commit: ProgressCommit): Promise<boolean> {
    this.singles++;
    if (this.slowSingles) await this.slowSingles;
    return super.commitProgress(commit);
  }

  override async commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
    this.batches.push(commits.length);
    const failAfter = this.failNextBatchAfter;
    this.failNextBatchAfter = undefined;
    if (failAfter !== undefined) {
      for (const commit of commits.slice(0, failAfter)) await super.commitProgress(commit);
      throw new Error('disk I/O error (test)');
    }
    return super.commitProgressBatch(commits);
  }
}

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});

async function setUp(store = new CountingStore()) {
  const clock = new FakeClock(T0);
  const target = new ScriptedDeliverer(clock);
  engine = new Engine(store, target, clock, { random: () => 0, keepFinished: () => true });
  const jobs = new JobsService(store, engine, clock);
  await engine.start();
  const key = (name: string): JobKey => ({ namespace: 'default', appId: 'app', name });
  return { clock, store, target, engine, jobs, key };
}

describe('engine: outcomes committed in batches', () => {
  it('commits the outcomes of jobs due at one instant with one store call, each delivered once', async () => {
    const { clock, store, target, jobs, key } = await setUp();
    for (let i = 0; i < 50; i++) await jobs.schedule(key(`job-${i}`), { dueTime: '10s' });
    store.singles = 0;
    await clock.advance(10_000);
    expect(target.deliveries).toHaveLength(50);
    expect(store.batches).toEqual([50]);
    expect(store.singles).toBe(0);
    for (let i = 0; i < 50; i++) expect((await store.get(key(`job-${i}`)))?.progress.state).toBe('completed');
  });

  it('a lone outcome goes through the batch call too (a store may commit it without the fsync)', async () => {
    const { clock, store, target, jobs, key } = await setUp();
    await jobs.schedule(key('alone'), { dueTime: '10s' });
    await jobs.schedule(key('rep'), { schedule: '@every 1s', repeats: 2 });
    store.singles = 0;
    await clock.advance(1_000); // rep's first tick, alone in its turn
    await clock.advance(1_000); // its second and last
    await clock.advance(8_000); // alone's only tick
    expect(target.deliveries.map((d) => [d.trigger.key.name, d.at - T0])).toEqual([['rep', 1000], ['rep', 2000], ['alone', 10000]]);
    expect(store.batches).toEqual([1, 1, 1]);
    expect(store.singles).toBe(0);
    expect((await store.get(key('alone')))?.progress.state).toBe('completed');
    expect((await store.get(key('rep')))?.progress).toMatchObject({ state: 'completed', count: 2 });
  });

  it('a lone outcome whose batch call fails is retried, and committed once', async () => {
    const { clock, store, target, engine: e, jobs, key } = await setUp();
    const errors: string[] = [];
    e.events.on('error', ({ context }) => errors.push(context));
    await jobs.schedule(key('rep'), { schedule: '@every 1s', repeats: 2 });
    store.failNextBatchAfter = 1; // written, then the call rejects: the retry is refused as stale
    await clock.advance(1_000);
    expect(errors).toEqual(['commit']);
    await clock.advance(5_000);
    expect(target.of('rep').map((d) => d.at - T0)).toEqual([1000, 2000]);
    expect((await store.get(key('rep')))?.progress).toMatchObject({ state: 'completed', count: 2 });
    expect(store.singles).toBe(0);
  });

  it('a repeating job is placed again only after its batch committed: never early, one attempt per tick', async () => {
    const { clock, store, target, jobs, key } = await setUp();
    for (let i = 0; i < 10; i++) await jobs.schedule(key(`rep-${i}`), { schedule: '@every 1s', repeats: 3 });
    await clock.advance(5_000);
    for (let i = 0; i < 10; i++) {
      const times = target.of(`rep-${i}`).map((d) => d.at - T0);
      expect(times).toEqual([1000, 2000, 3000]);
    }
    expect(store.batches).toEqual([10, 10, 10]);
  });

  it('an outcome whose job is locked by a manual operation waits for it and commits on its own', async () => {
    const { clock, store, target, engine: e, jobs, key } = await setUp();
    await jobs.schedule(key('busy'), { schedule: '@every 1s', repeats: 2 });
    await jobs.schedule(key('free'), { schedule: '@every 1s', repeats: 2 });
    let deliver!: () => void;
    const delivered = new Promise<void>((resolve) => (deliver = resolve));
    let commitPause!: () => void;
    // The delivery of 'busy' settles while a pause of it holds the job's lock (its write is slow).
    target.respond = (trigger) => (trigger.key.name === 'busy' ? delivered.then(() => ({ kind: 'done' as const })) : { kind: 'done' });
    await clock.advance(1_000);
    store.singles = 0;
    store.slowSingles = new Promise<void>((resolve) => (commitPause = resolve));
    const paused = e.pause(key('busy'));
    deliver();
    await clock.advance(0);
    expect(store.singles).toBe(1); // the pause's write, still under way: the outcome waits behind it
    store.slowSingles = undefined;
    commitPause();
    await paused;
    await clock.advance(0);
    const busy = await store.get(key('busy'));
    expect(busy?.progress.state).toBe('paused');
    expect(busy?.progress.count).toBe(1); // the outcome committed after the pause, on its own
    expect(store.singles).toBe(2); // the pause's commit and the outcome's
    await clock.advance(5_000);
    expect(target.of('busy')).toHaveLength(1); // paused: no second tick
    expect(target.of('free').map((d) => d.at - T0)).toEqual([1000, 2000]);
  });

  it('a batch that fails is retried whole; the commits it had written are refused as stale and their jobs reloaded', async () => {
    const { clock, store, target, engine: e, jobs, key } = await setUp();
    const errors: string[] = [];
    e.events.on('error', ({ context }) => errors.push(context));
    for (let i = 0; i < 6; i++) await jobs.schedule(key(`r-${i}`), { schedule: '@every 1s', repeats: 2 });
    store.failNextBatchAfter = 3;
    await clock.advance(1_000);
    expect(errors).toEqual(['commit']);
    await clock.advance(5_000);
    for (let i = 0; i < 6; i++) {
      expect(target.of(`r-${i}`).map((d) => d.at - T0)).toEqual([1000, 2000]);
      const record = await store.get(key(`r-${i}`));
      expect(record?.progress).toMatchObject({ state: 'completed', count: 2 });
    }
  });

  it('a burst whose deliveries answer at once commits in bounded batches, the first before the loop turns', async () => {
    // The deliveries of such a burst all settle in microtasks (each free slot dispatches the next
    // at once): waiting for the turn to end held every outcome of the burst in one batch.
    const { clock, store, target, engine: e, jobs, key } = await setUp();
    for (let i = 0; i < 1_000; i++) await jobs.schedule(key(`b-${i}`), { dueTime: '10s' });
    let turns = 0;
    let batchesBeforeTurn = 0;
    const counting = store.commitProgressBatch.bind(store);
    store.commitProgressBatch = (commits) => {
      if (turns === 0) batchesBeforeTurn++;
      return counting(commits);
    };
    e.events.on('dispatched', () => {
      if (target.deliveries.length === 1) setImmediate(() => turns++);
    });
    await clock.advance(10_000);
    expect(target.deliveries).toHaveLength(1_000);
    expect(store.batches.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(Math.max(...store.batches)).toBeLessThanOrEqual(OUTCOME_BATCH_LIMIT);
    expect(batchesBeforeTurn).toBeGreaterThan(0);
    for (let i = 0; i < 1_000; i++) expect((await store.get(key(`b-${i}`)))?.progress.state).toBe('completed');
  });
});
