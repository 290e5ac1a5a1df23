// A refill reads only the jobs that entered the look-ahead window since the last one (the held
// ones were read before): issue 12's steady-rate stall was the refill reading the 50,000 held keys
// again every 5 s. These tests pin where each refill starts reading, that a job let go while still
// due within what was read makes the next refill read whole, and that a job written to the store
// behind the engine's back is still loaded by the periodic whole read.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import type { JobKey } from '../../../src/core/model/job.js';
import type { DueRead, ProgressCommit } from '../../../src/core/ports/job-store.js';
import { settle } from '../../../src/testing/fake-clock.js';
import { makeHarness, T0 } from './harness.js';

const WHOLE = Number.MIN_SAFE_INTEGER;

/** A memory store that notes where each refill started reading, and can refuse one commit as stale. */
class RecordingStore extends MemoryJobStore {
  readonly froms: number[] = [];
  refuseNext: string | undefined;
  /** While set, a due read waits for it. */
  gate: Promise<void> | undefined;

  override async dueBetween(from: number, until: number, limit: number, held: (key: JobKey) => boolean): Promise<DueRead> {
    this.froms.push(from);
    const read = await super.dueBetween(from, until, limit, held);
    await this.gate;
    return read;
  }

  override commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
    return Promise.all(commits.map((c) => this.commitProgress(c)));
  }

  override async commitProgress(commit: ProgressCommit): Promise<boolean> {
    if (commit.key.name === this.refuseNext) {
      this.refuseNext = undefined;
      return false; // as if another writer had moved it on
    }
    return super.commitProgress(commit);
  }
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function setup() {
  const harness = await makeHarness({ lookaheadMs: 10_000, refillIntervalMs: 2_000 }, new RecordingStore());
  stop = async () => {
    harness.store.gate = undefined;
    await harness.stop();
  };
  return harness;
}

describe('engine: what a refill reads', () => {
  it('reads from where the last refill ended: the window\'s new part only', async () => {
    const { clock, store } = await setup();
    await clock.advance(6_000);
    // At start, whole; then from the end of each window before (T0 + 10 s, + 12 s, + 14 s).
    expect(store.froms).toEqual([WHOLE, T0 + 10_000, T0 + 12_000, T0 + 14_000]);
  });

  it('loads a job that entered the window between refills, at the next refill', async () => {
    const { clock, store, target, jobs, key } = await setup();
    await jobs.schedule(key('far'), { dueTime: '11s' }); // beyond the 10 s window: left in the store
    await clock.advance(12_000);
    expect(store.froms.slice(0, 2)).toEqual([WHOLE, T0 + 10_000]);
    expect(target.of('far').map((d) => d.at - T0)).toEqual([11_000]);
  });

  it('reads whole after a job left memory while due within what was read (a refused commit reloads it)', async () => {
    const { clock, store, target, jobs, key } = await setup();
    // Staged first (a delivery's outcome refused is applied to the store's version in memory instead).
    let answered = 0;
    target.respond = () => (answered++ === 0 ? { kind: 'staged', detail: 'no consumer' } : { kind: 'done' });
    await jobs.schedule(key('every'), { schedule: '@every 1s' });
    store.refuseNext = 'every';
    await clock.advance(1_000); // the first tick is staged, its commit refused: the job is reloaded from the store
    await clock.advance(1_000); // the refill at 2 s
    expect(store.froms).toEqual([WHOLE, WHOLE]);
    await clock.advance(2_000);
    expect(store.froms).toEqual([WHOLE, WHOLE, T0 + 12_000]);
    expect(target.of('every').length).toBeGreaterThanOrEqual(3);
  });

  it('refillNow while the periodic refill reads: one refill per interval after both end, not two', async () => {
    const { clock, store, engine } = await setup();
    let open: () => void = () => {};
    store.gate = new Promise((resolve) => (open = resolve));
    await clock.advance(2_000); // the periodic refill at 2 s starts and waits in its read
    const now = engine.refillNow(); // a second one, whole, while the first is out
    store.gate = undefined;
    open();
    await now;
    await settle();
    const before = store.froms.length;
    await clock.advance(6_000);
    expect(store.froms.length - before).toBe(3);
  });

  it('still reads whole now and then: a job written behind the engine\'s back, due within what was read, is loaded', async () => {
    const { clock, store, target, jobs, key } = await setup();
    await jobs.schedule(key('told'), { dueTime: '30s' });
    // Straight into the store, as a write whose answer was lost would be: the engine is not told.
    const told = await store.get(key('told'));
    await store.create({ def: { ...told!.def, key: key('untold'), uid: 'untold-uid' }, progress: { ...told!.progress, tickAt: T0 + 5_000, nextAt: T0 + 5_000 } }, { overwrite: false });
    await clock.advance(20_000);
    expect(target.of('untold')).toEqual([]); // refills at 2 s to 20 s read only their windows' new parts
    await clock.advance(6_000); // the twelfth refill after start, at 24 s, reads whole
    expect(store.froms.filter((f) => f === WHOLE)).toHaveLength(2);
    expect(target.of('untold').map((d) => d.at - T0)).toEqual([24_000]);
  });
});
