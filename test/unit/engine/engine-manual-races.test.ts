// Manual operations (pause, resume, trigger-now) and delete interleaved with a delivery in flight,
// with an outcome whose commit is written but not yet answered, and with a manual operation's own
// commit written but not yet answered (a delete or an overwrite landing between "written" and
// "the engine heard back"). The promises checked: never early, every due tick delivered, one
// trigger of a job in flight at a time, a paused job never fires on its schedule, a deleted job
// never fires after the delete returned, an overwritten job's definition never fires after the
// overwrite returned, and trigger-now delivers one extra, manual trigger.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import type { Outcome, Trigger } from '../../../src/core/model/trigger.js';
import type { ProgressCommit } from '../../../src/core/ports/job-store.js';
import { makeHarness, T0 } from './harness.js';
import { pending, respondCounting } from './held-calls.js';

/** A commit written to the store whose answer to the caller is held until release(). */
interface Gate {
  written: Promise<void>;
  release(): void;
}

/**
 * Writes every commit at once; the answer of the next single commit (commitProgress: manual
 * operations, a lone outcome behind a busy lock) or of the next batch (commitProgressBatch: the
 * engine's outcomes) can be held, so another operation lands between the write and the answer.
 */
class HoldingStore extends MemoryJobStore {
  private gates: { single?: Gate & { wrote(): void; held: Promise<void> }; batch?: Gate & { wrote(): void; held: Promise<void> } } = {};

  holdNext(kind: 'single' | 'batch'): Gate {
    let wrote!: () => void;
    let release!: () => void;
    const written = new Promise<void>((resolve) => (wrote = resolve));
    const held = new Promise<void>((resolve) => (release = resolve));
    const gate = { written, release, wrote, held };
    this.gates[kind] = gate;
    return gate;
  }

  override async commitProgress(commit: ProgressCommit): Promise<boolean> {
    const result = await super.commitProgress(commit);
    return this.answer('single', result);
  }

  override async commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
    const results = await super.commitProgressBatch(commits);
    return this.answer('batch', results);
  }

  private async answer<T>(kind: 'single' | 'batch', result: T): Promise<T> {
    const gate = this.gates[kind];
    if (!gate) return result;
    this.gates[kind] = undefined;
    gate.wrote();
    await gate.held;
    return result;
  }
}

type Harness = Awaited<ReturnType<typeof makeHarness<HoldingStore>>>;
let h: Harness;
/** Most deliveries of one job (by name) the target had open at once. */
let maxOpen: Map<string, number>;

afterEach(async () => {
  h.assertNeverEarly();
  for (const [name, most] of maxOpen) expect(most, `deliveries of ${name} open at once`).toBeLessThanOrEqual(1);
  await h.stop();
});

async function setUp(): Promise<Harness> {
  h = await makeHarness({}, new HoldingStore());
  maxOpen = new Map();
  return h;
}

/**
 * The target's answers, with a count of the deliveries of each job open at once. `answer` says
 * what each delivery gets: an outcome now, or a promise of one settled later by the test.
 */
function respondWith(answer: (trigger: Trigger) => Outcome | Promise<Outcome>): void {
  respondCounting(h.target, maxOpen, answer);
}

const done: Outcome = { kind: 'done' };
const failed: Outcome = { kind: 'failed', detail: 'HTTP 500' };

/** The deliveries of a job as [ms after T0 delivered, ms after T0 scheduled, attempt, manual, data]. */
function seen(name: string): Array<[number, number, number, boolean, unknown]> {
  return h.target.of(name).map((d) => [d.at - T0, d.trigger.scheduledAt - T0, d.trigger.attempt, d.trigger.manual, d.trigger.data]);
}

/** Deliveries of a job made at or after `since` (clock ms). */
function deliveredSince(name: string, since: number): Array<{ at: number; data: unknown; manual: boolean }> {
  return h.target
    .of(name)
    .filter((d) => d.at >= since)
    .map((d) => ({ at: d.at - T0, data: d.trigger.data, manual: d.trigger.manual }));
}

/** Whatever the manual operation answered (it may be refused once its job is gone). */
async function settledQuietly(operation: Promise<unknown>): Promise<void> {
  await operation.catch(() => undefined);
}

describe('engine: a delete or an overwrite lands while a manual operation commits', () => {
  it('trigger-now written, delete, then the answer: the deleted job never fires', async () => {
    await setUp();
    await h.schedule('job', { schedule: '@every 10s', data: 'd' }); // held: first tick at T0 + 10 s
    const gate = h.store.holdNext('single');
    const triggering = h.jobs.trigger(h.key('job'));
    await gate.written; // the manual trigger is in the store; the engine has not heard back
    await h.jobs.delete(h.key('job'));
    const deletedAt = h.clock.now();
    gate.release();
    await settledQuietly(triggering);
    await h.clock.advance(30_000);
    expect(deliveredSince('job', deletedAt)).toEqual([]);
    expect(await h.store.get(h.key('job'))).toBeUndefined();
  });

  it('resume written, delete, then the answer: the deleted job never fires', async () => {
    await setUp();
    await h.schedule('job', { schedule: '@every 1s', data: 'd' });
    await h.clock.advance(1_500);
    await h.jobs.pause(h.key('job'));
    await h.clock.advance(2_000); // paused with the ticks of 2 s and 3 s missed
    const gate = h.store.holdNext('single');
    const resuming = h.jobs.resume(h.key('job'));
    await gate.written;
    await h.jobs.delete(h.key('job'));
    const deletedAt = h.clock.now();
    gate.release();
    await settledQuietly(resuming);
    await h.clock.advance(10_000);
    expect(deliveredSince('job', deletedAt)).toEqual([]);
    expect(await h.store.get(h.key('job'))).toBeUndefined();
  });

  it('pause written, delete, then the answer: the deleted job never fires', async () => {
    await setUp();
    await h.schedule('job', { schedule: '@every 1s', data: 'd' });
    await h.clock.advance(1_500);
    const gate = h.store.holdNext('single');
    const pausing = h.jobs.pause(h.key('job'));
    await gate.written;
    await h.jobs.delete(h.key('job'));
    const deletedAt = h.clock.now();
    gate.release();
    await settledQuietly(pausing);
    await h.clock.advance(10_000);
    expect(deliveredSince('job', deletedAt)).toEqual([]);
    expect(seen('job')).toEqual([[1_000, 1_000, 1, false, 'd']]);
  });

  it('pause written, overwrite with an active job, then the answer: the new job fires on its own schedule', async () => {
    await setUp();
    await h.schedule('job', { schedule: '@every 1s', data: 'old' });
    await h.clock.advance(500);
    const gate = h.store.holdNext('single');
    const pausing = h.jobs.pause(h.key('job'));
    await gate.written; // the old job is paused in the store
    await h.schedule('job', { schedule: '@every 1s', data: 'new', overwrite: true }); // first tick at T0 + 1.5 s
    gate.release();
    await settledQuietly(pausing);
    // The store holds the new job, active, due at T0 + 1.5 s.
    const stored = await h.store.get(h.key('job'));
    expect(stored?.def.data).toBe('new');
    expect(stored?.progress.state).toBe('active');
    await h.clock.advance(3_000);
    expect(seen('job')).toEqual([
      [1_500, 1_500, 1, false, 'new'],
      [2_500, 2_500, 1, false, 'new'],
      [3_500, 3_500, 1, false, 'new'],
    ]);
  });

  it('trigger-now written, overwrite, then the answer: the old definition never fires after the overwrite', async () => {
    await setUp();
    await h.schedule('job', { schedule: '@every 10s', data: 'old' });
    const gate = h.store.holdNext('single');
    const triggering = h.jobs.trigger(h.key('job'));
    await gate.written;
    await h.schedule('job', { dueTime: '5s', data: 'new', overwrite: true });
    const overwrittenAt = h.clock.now();
    gate.release();
    await settledQuietly(triggering);
    await h.clock.advance(10_000);
    // The old job's manual trigger is gone with it; the new one-shot fires once, at its time.
    expect(deliveredSince('job', overwrittenAt)).toEqual([{ at: 5_000, data: 'new', manual: false }]);
    expect(await h.store.get(h.key('job'))).toBeUndefined();
  });

  it('resume written, overwrite, then the answer: the old definition never fires after the overwrite', async () => {
    await setUp();
    await h.schedule('job', { schedule: '@every 1s', data: 'old' });
    await h.clock.advance(1_500);
    await h.jobs.pause(h.key('job'));
    await h.clock.advance(3_000); // paused, the old job's ticks of 2, 3 and 4 s missed
    const gate = h.store.holdNext('single');
    const resuming = h.jobs.resume(h.key('job'));
    await gate.written;
    await h.schedule('job', { dueTime: '10s', data: 'new', overwrite: true }); // due at T0 + 14.5 s
    const overwrittenAt = h.clock.now();
    gate.release();
    await settledQuietly(resuming);
    await h.clock.advance(12_000);
    expect(deliveredSince('job', overwrittenAt)).toEqual([{ at: 14_500, data: 'new', manual: false }]);
  });
});

describe('engine: resume while the tick is in flight', () => {
  it('catchUp none: pause and resume during a slow delivery lose no tick', async () => {
    await setUp();
    const first = pending();
    respondWith((t) => (t.scheduledAt === T0 + 1_000 ? first.outcome : done));
    await h.schedule('job', { schedule: '@every 1s', catchUp: 'none' });
    await h.clock.advance(1_000); // the 1 s tick is in flight
    await h.clock.advance(3_000); // still in flight at 4 s
    await h.jobs.pause(h.key('job'));
    await h.jobs.resume(h.key('job'));
    first.answer(done);
    await h.clock.advance(0);
    // As without the pause: the ticks of 2, 3 and 4 s are skipped (none), the 5 s tick is not.
    await h.clock.advance(2_000);
    expect(seen('job').map(([at, scheduled]) => [at, scheduled])).toEqual([
      [1_000, 1_000],
      [5_000, 5_000],
      [6_000, 6_000],
    ]);
  });

  it('catchUp none: a failing attempt paused and resumed in flight is retried as the same tick', async () => {
    await setUp();
    const first = pending();
    respondWith((t) => (t.scheduledAt === T0 + 1_000 && t.attempt === 1 ? first.outcome : done));
    await h.schedule('job', { schedule: '@every 1s', catchUp: 'none', failurePolicy: { constant: { interval: '1s', maxRetries: 3 } } });
    await h.clock.advance(4_000); // the 1 s tick's first attempt is in flight until 4 s
    await h.jobs.pause(h.key('job'));
    await h.jobs.resume(h.key('job'));
    first.answer(failed);
    await h.clock.advance(0);
    await h.clock.advance(1_000);
    // The failed tick is retried (due at 2 s, so at once); then the schedule goes on from now.
    expect(seen('job').map(([at, scheduled, attempt]) => [at, scheduled, attempt])).toEqual([
      [1_000, 1_000, 1],
      [4_000, 1_000, 2],
      [5_000, 5_000, 1],
    ]);
  });
});

describe('engine: manual operations and delete around a delivery in flight', () => {
  it('pause during a failing attempt: no retry while paused; resume goes on with the retry, never early', async () => {
    await setUp();
    const first = pending();
    let calls = 0;
    respondWith(() => (++calls === 1 ? first.outcome : calls === 2 ? failed : done));
    await h.schedule('job', { schedule: '@every 10s', failurePolicy: { constant: { interval: '2s' } } });
    await h.clock.advance(10_000); // attempt 1 of the 10 s tick in flight
    await h.jobs.pause(h.key('job'));
    first.answer(failed);
    await h.clock.advance(10_000);
    expect(seen('job')).toHaveLength(1); // paused: the retry (due at 12 s) waits
    expect((await h.store.get(h.key('job')))?.progress).toMatchObject({ state: 'paused', attempts: 1, nextAt: T0 + 12_000 });
    await h.jobs.resume(h.key('job')); // at 20 s: the retry is overdue, catch-up leaves retries alone
    await h.clock.advance(0);
    await h.clock.advance(2_000);
    await h.clock.advance(0);
    await h.clock.advance(5_000);
    expect(seen('job').map(([at, scheduled, attempt]) => [at, scheduled, attempt])).toEqual([
      [10_000, 10_000, 1],
      [20_000, 10_000, 2], // failed again: the next retry is due at 14 s, overdue too
      [20_000, 10_000, 3],
      [20_000, 20_000, 1],
    ]);
  });

  it('trigger-now during a failing regular attempt: the manual trigger goes out after its outcome, the retry at its time', async () => {
    await setUp();
    const first = pending();
    respondWith((t) => (!t.manual && t.attempt === 1 ? first.outcome : done));
    await h.schedule('job', { schedule: '@every 10s', failurePolicy: { constant: { interval: '3s' } } });
    await h.clock.advance(10_000);
    await h.jobs.trigger(h.key('job')); // at 10 s, with the regular attempt in flight
    await h.clock.advance(1_000);
    expect(seen('job')).toHaveLength(1); // one in flight: the manual trigger waits
    first.answer(failed);
    await h.clock.advance(0);
    await h.clock.advance(5_000);
    expect(seen('job').map(([at, scheduled, attempt, manual]) => [at, scheduled, attempt, manual])).toEqual([
      [10_000, 10_000, 1, false],
      [11_000, 10_000, 1, true],
      [13_000, 10_000, 2, false],
    ]);
    expect((await h.store.get(h.key('job')))?.progress).toMatchObject({ count: 1, manualAt: undefined, tickAt: T0 + 20_000 });
  });

  it('trigger-now during a one-shot delivery: one extra manual trigger after it, then the job is gone', async () => {
    await setUp();
    const first = pending();
    respondWith((t) => (t.manual ? done : first.outcome));
    await h.schedule('once', { dueTime: '1s', data: 'x' });
    await h.clock.advance(1_000);
    await h.jobs.trigger(h.key('once'));
    first.answer(done);
    await h.clock.advance(0);
    await h.clock.advance(5_000);
    expect(seen('once')).toEqual([
      [1_000, 1_000, 1, false, 'x'],
      [1_000, 1_000, 1, true, 'x'],
    ]);
    expect(await h.store.get(h.key('once'))).toBeUndefined();
  });

  it('delete during a delivery, then the name scheduled again: the old outcome is ignored, the new job fires on time', async () => {
    await setUp();
    const first = pending();
    respondWith((t) => (t.data === 'old' ? first.outcome : done));
    await h.schedule('job', { schedule: '@every 1s', data: 'old' });
    await h.clock.advance(1_000);
    await h.jobs.delete(h.key('job'));
    await h.clock.advance(500);
    await h.schedule('job', { dueTime: '2s', data: 'new' }); // due at 3.5 s
    first.answer(done);
    await h.clock.advance(0);
    expect(await h.store.get(h.key('job'))).toMatchObject({ def: { data: 'new' }, progress: { rev: 1, tickAt: T0 + 3_500 } });
    await h.clock.advance(5_000);
    expect(seen('job').map(([at, , , , data]) => [at, data])).toEqual([
      [1_000, 'old'],
      [3_500, 'new'],
    ]);
    expect(await h.store.get(h.key('job'))).toBeUndefined();
  });
});

describe('engine: manual operations and delete while an outcome commits', () => {
  it('delete after the outcome is written, before the engine hears back: nothing fires again', async () => {
    await setUp();
    await h.schedule('job', { schedule: '@every 1s' });
    const gate = h.store.holdNext('batch');
    await h.clock.advance(1_000);
    await gate.written; // the next tick (2 s) is in the store
    await h.jobs.delete(h.key('job'));
    gate.release();
    await h.clock.advance(5_000);
    expect(seen('job')).toHaveLength(1);
    expect(await h.store.get(h.key('job'))).toBeUndefined();
  });

  it('pause and trigger-now asked during the commit wait for it, then apply: one manual trigger, no tick', async () => {
    await setUp();
    await h.schedule('job', { schedule: '@every 1s' });
    const gate = h.store.holdNext('batch');
    await h.clock.advance(1_000);
    await gate.written;
    const pausing = h.jobs.pause(h.key('job'));
    const triggering = h.jobs.trigger(h.key('job'));
    gate.release();
    expect((await pausing).status.state).toBe('paused');
    await triggering;
    await h.clock.advance(0);
    await h.clock.advance(5_000);
    expect(seen('job').map(([at, , , manual]) => [at, manual])).toEqual([
      [1_000, false],
      [1_000, true],
    ]);
    expect((await h.store.get(h.key('job')))?.progress).toMatchObject({ state: 'paused', count: 1, tickAt: T0 + 2_000, manualAt: undefined });
  });

  it('pause written while its tick comes due: once the pause has answered, no tick goes out', async () => {
    await setUp();
    const first = pending();
    respondWith(() => first.outcome);
    await h.schedule('job', { schedule: '@every 1s' });
    await h.clock.advance(900);
    const gate = h.store.holdNext('single');
    const pausing = h.jobs.pause(h.key('job'));
    await gate.written;
    await h.clock.advance(100); // the 1 s tick is due; the pause has not answered yet
    gate.release();
    await pausing;
    const pausedAt = h.clock.now();
    first.answer(done);
    await h.clock.advance(0);
    await h.clock.advance(5_000);
    expect(deliveredSince('job', pausedAt + 1)).toEqual([]);
    expect((await h.store.get(h.key('job')))?.progress).toMatchObject({ state: 'paused' });
    await h.jobs.resume(h.key('job')); // resume continues (catch-up all: the paused ticks replayed)
    await h.clock.advance(0);
    expect(h.target.of('job').length).toBeGreaterThan(1);
  });
});
