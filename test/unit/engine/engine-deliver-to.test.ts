// The Deliverer's callback form (deliverTo), which the WatchJobs path uses: the engine hands the
// trigger over with a receiver instead of waiting on a promise. The promises hold as with
// deliver: one attempt in flight per job, nothing placed before its outcome is committed, an
// outcome counted once, and an answer given inside deliverTo itself settled after dispatch.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import { JobsService } from '../../../src/app/jobs-service.js';
import { Engine } from '../../../src/core/engine/engine.js';
import type { Attempt } from '../../../src/core/engine/attempt.js';
import type { JobKey } from '../../../src/core/model/job.js';
import type { ProgressCommit } from '../../../src/core/ports/job-store.js';
import type { Outcome, Trigger } from '../../../src/core/model/trigger.js';
import type { Deliverer, OutcomeReceiver } from '../../../src/core/ports/deliverer.js';
import { FakeClock } from '../../../src/testing/fake-clock.js';
import { T0 } from './harness.js';

/** Keeps every receiver; answers at once when `answerNow` says so. */
class CallbackDeliverer implements Deliverer {
  readonly handed: Array<{ trigger: Trigger; receiver: OutcomeReceiver; at: number }> = [];
  answerNow: ((trigger: Trigger) => Outcome | undefined) | undefined;
  constructor(private readonly clock: FakeClock) {}

  deliver(): Promise<Outcome> {
    throw new Error('the engine must use deliverTo');
  }

  deliverTo(trigger: Trigger, receiver: OutcomeReceiver): void {
    this.handed.push({ trigger, receiver, at: this.clock.now() });
    const now = this.answerNow?.(trigger);
    if (now) receiver.receive(now);
  }

  of(name: string) {
    return this.handed.filter((h) => h.trigger.key.name === name);
  }
}

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
});

async function setUp() {
  const clock = new FakeClock(T0);
  const store = new MemoryJobStore();
  const target = new CallbackDeliverer(clock);
  engine = new Engine(store, target, clock, { random: () => 0, keepFinished: () => true, stopTimeoutMs: 0 });
  const jobs = new JobsService(store, engine, clock);
  await engine.start();
  const key = (name: string): JobKey => ({ namespace: 'default', appId: 'app', name });
  return { clock, store, target, engine, jobs, key };
}

describe('engine: deliverTo, the callback form of delivery', () => {
  it('delivers through deliverTo and commits each outcome once, however often it is answered', async () => {
    const { clock, store, target, jobs, key } = await setUp();
    for (let i = 0; i < 5; i++) await jobs.schedule(key(`job-${i}`), { dueTime: '1s' });
    await clock.advance(1_000);
    expect(target.handed).toHaveLength(5);
    for (const h of target.handed) expect(h.at).toBeGreaterThanOrEqual(h.trigger.scheduledAt);
    for (const h of target.handed) {
      h.receiver.receive({ kind: 'done' });
      h.receiver.receive({ kind: 'failed', detail: 'a second answer, ignored' });
    }
    await clock.advance(0);
    for (let i = 0; i < 5; i++) {
      const { progress } = (await store.get(key(`job-${i}`)))!;
      expect(progress.state).toBe('completed');
      expect(progress.count).toBe(1);
    }
  });

  it('keeps one attempt in flight per job until its outcome is committed', async () => {
    const { clock, store, target, jobs, key } = await setUp();
    await jobs.schedule(key('rep'), { schedule: '@every 1s', repeats: 3 });
    await clock.advance(5_000);
    expect(target.of('rep')).toHaveLength(1); // not answered: no second attempt meanwhile
    target.of('rep')[0]!.receiver.receive({ kind: 'done' });
    await clock.advance(0);
    expect((await store.get(key('rep')))!.progress.count).toBe(1);
    expect(target.of('rep')).toHaveLength(2); // the next tick was overdue: it goes out after the commit
    target.of('rep')[1]!.receiver.receive({ kind: 'done' }); // nothing left in flight for stop()
  });

  it('settles an answer given inside deliverTo after the dispatch, for a burst without deep recursion', async () => {
    const { clock, store, target, jobs, key } = await setUp();
    target.answerNow = () => ({ kind: 'done' });
    for (let i = 0; i < 2_000; i++) await jobs.schedule(key(`b-${i}`), { dueTime: '1s' });
    await clock.advance(1_000);
    await clock.advance(0);
    expect(target.handed).toHaveLength(2_000);
    for (let i = 0; i < 2_000; i += 199) expect((await store.get(key(`b-${i}`)))!.progress.state).toBe('completed');
  });

  it('settled() waits for an attempt handed over with deliverTo until its outcome is committed', async () => {
    const { clock, store, target, engine: e, jobs, key } = await setUp();
    await jobs.schedule(key('slow'), { dueTime: '1s' });
    await clock.advance(1_000);
    let done = false;
    const waiting = e.settled(() => true, 60_000).then(() => (done = true));
    await clock.advance(0);
    expect(done).toBe(false);
    target.of('slow')[0]!.receiver.receive({ kind: 'done' });
    await clock.advance(0);
    await waiting;
    expect((await store.get(key('slow')))!.progress.state).toBe('completed');
  });

  it('lets go of the trigger once the outcome is decided, while its commit is still waiting', async () => {
    const clock = new FakeClock(T0);
    // A store whose progress commits wait until opened: outcomes are decided, not yet committed.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    class GatedStore extends MemoryJobStore {
      override async commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
        await gate;
        return super.commitProgressBatch(commits);
      }
      override async commitProgress(commit: ProgressCommit): Promise<boolean> {
        await gate;
        return super.commitProgress(commit);
      }
    }
    const store = new GatedStore();
    const target = new CallbackDeliverer(clock);
    engine = new Engine(store, target, clock, { random: () => 0, stopTimeoutMs: 0 });
    const jobs = new JobsService(store, engine, clock);
    await engine.start();
    for (let i = 0; i < 3; i++) await jobs.schedule({ namespace: 'default', appId: 'app', name: `w-${i}` }, { dueTime: '1s' });
    await clock.advance(1_000);
    expect(target.handed).toHaveLength(3);
    for (const h of target.handed) h.receiver.receive({ kind: 'done' });
    await clock.advance(0);
    expect(await store.get({ namespace: 'default', appId: 'app', name: 'w-0' })).toBeDefined(); // not committed yet
    // The attempt (the receiver) no longer holds its trigger: taking it again fails. Counted
    // before the gate opens, and checked after, so a failure leaves no commit waiting for stop().
    const stillHolding = target.handed.filter((h) => {
      try {
        (h.receiver as Attempt).takeTrigger();
        return true;
      } catch {
        return false;
      }
    }).length;
    open();
    expect(stillHolding).toBe(0);
    await clock.advance(0);
    for (let i = 0; i < 3; i++) expect(await store.get({ namespace: 'default', appId: 'app', name: `w-${i}` })).toBeUndefined();
  });
});
