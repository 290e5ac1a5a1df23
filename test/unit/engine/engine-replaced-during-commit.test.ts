// A job overwritten while its last outcome's commit is under way (written, not yet answered): the
// engine must go on with the new job, never lose it from memory or mix its definition with the
// old job's progress. Seen from outside: a one-shot overwritten right after its delivery was
// answered stayed in the store, active and overdue, and did not fire (CI, job-handler.test.ts).

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import type { ProgressCommit } from '../../../src/core/ports/job-store.js';
import { makeHarness, T0 } from './harness.js';

/** Writes each commit at once, then holds its answer while `hold` is set: the write is done, the engine not yet told. */
class SlowAnswerStore extends MemoryJobStore {
  hold: Promise<void> | undefined;
  committing: Promise<void> | undefined;
  private committed: (() => void) | undefined;

  /** Resolves once a commit is written and its answer held. */
  nextCommit(): Promise<void> {
    this.committing = new Promise((resolve) => (this.committed = resolve));
    return this.committing;
  }

  override async commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
    const results = await super.commitProgressBatch(commits);
    return this.answer(results);
  }

  override async commitProgress(commit: ProgressCommit): Promise<boolean> {
    const result = await super.commitProgress(commit);
    return this.answer(result);
  }

  private async answer<T>(result: T): Promise<T> {
    const hold = this.hold;
    this.committed?.();
    this.committed = undefined;
    if (hold) await hold;
    return result;
  }
}

type Harness = Awaited<ReturnType<typeof makeHarness<SlowAnswerStore>>>;
let h: Harness;
afterEach(async () => {
  h.assertNeverEarly();
  await h.stop();
});

/** Holds the answer of the next commit, runs the clock by `advanceMs` until that commit is written, then runs `during`. */
async function answerHeldDuring(h: Harness, advanceMs: number, during: () => Promise<void>): Promise<void> {
  let release!: () => void;
  h.store.hold = new Promise((resolve) => (release = resolve));
  const written = h.store.nextCommit();
  await h.clock.advance(advanceMs);
  await written;
  await during();
  h.store.hold = undefined;
  release();
  await h.clock.advance(0);
}

describe('engine: a job replaced while its outcome commits', () => {
  it('a one-shot overwritten after its outcome is written, before the engine hears back, fires as the new job', async () => {
    h = await makeHarness({}, new SlowAnswerStore());
    await h.schedule('greet', { dueTime: '1s', data: 'first' });
    await answerHeldDuring(h, 1_000, async () => {
      // The first tick's outcome is written (the one-shot deleted); the engine has not heard back.
      expect(await h.store.get(h.key('greet'))).toBeUndefined();
      await h.schedule('greet', { dueTime: '0s', data: 'again', overwrite: true });
    });
    await h.clock.advance(100);
    expect(h.target.of('greet').map((d) => d.trigger.data)).toEqual(['first', 'again']);
    expect(await h.store.get(h.key('greet'))).toBeUndefined(); // the new one-shot finished too
  });

  it('a recurring job overwritten during its commit runs on the new definition and schedule, never early', async () => {
    h = await makeHarness({}, new SlowAnswerStore());
    await h.schedule('tick', { schedule: '@every 1s', data: 'old' });
    await answerHeldDuring(h, 1_000, async () => {
      // The old job's next tick (T0 + 2 s) is written; the new job is due only at T0 + 10 s.
      await h.schedule('tick', { dueTime: new Date(T0 + 10_000).toISOString(), data: 'new', overwrite: true });
    });
    await h.clock.advance(9_000);
    expect(h.target.of('tick').map((d) => [d.trigger.data, d.at - T0])).toEqual([
      ['old', 1_000],
      ['new', 10_000],
    ]);
    const stored = await h.store.get(h.key('tick'));
    expect(stored).toBeUndefined();
  });
});
