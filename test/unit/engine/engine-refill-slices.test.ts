// A refill reads and adopts in slices, yielding the event loop between them (issue 12: one
// 50,000-row refill held every timer for 100 ms and more). While it is between slices the engine
// goes on, so the refill's copy of a job can be older than what the engine did with it. These
// tests hold a refill at that point (a store whose read waits for the test) and check the engine
// never adopts the stale copy: a job deleted meanwhile never fires, and a job that fired and
// finished meanwhile does not fire again.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import type { JobRecord } from '../../../src/core/model/job.js';
import type { DueRead } from '../../../src/core/ports/job-store.js';
import { settle } from '../../../src/testing/fake-clock.js';
import { makeHarness, T0 } from './harness.js';

/** A memory store whose due read, once closed, answers only when the test opens it again. */
class HeldReadStore extends MemoryJobStore {
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private gateReached: (() => void) | undefined;

  /** The next due read stops after reading; resolves once one has. */
  holdNextRead(): Promise<void> {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
    return new Promise((resolve) => (this.gateReached = resolve));
  }

  releaseRead(): void {
    this.gate = undefined;
    this.openGate?.();
  }

  // A store may leave out what the engine holds, or not: this one reads everything due.
  override async dueBefore(until: number, limit: number): Promise<JobRecord[]> {
    const records = await super.dueBefore(until, limit);
    await this.atGate();
    return records;
  }

  // The refill's own read: everything due from `from` on, held or not.
  override async dueBetween(from: number, until: number, limit: number): Promise<DueRead> {
    const read = await super.dueBetween(from, until, limit, () => false);
    await this.atGate();
    return read;
  }

  private async atGate(): Promise<void> {
    if (this.gate) {
      this.gateReached?.();
      await this.gate;
    }
  }
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function setup() {
  const harness = await makeHarness({ lookaheadMs: 10_000, refillIntervalMs: 2_000 }, new HeldReadStore());
  stop = async () => {
    harness.store.releaseRead();
    await harness.stop();
  };
  return harness;
}

describe('engine: a refill between its slices', () => {
  it('does not adopt a job deleted after the refill read it', async () => {
    const { clock, store, target, jobs, key } = await setup();
    await jobs.schedule(key('later'), { dueTime: '12s' }); // beyond the 10 s window: stays in the store
    const reading = store.holdNextRead();
    await clock.advance(2_000); // the refill at 2 s reads 'later' (due 12 s) and waits
    await reading;
    await jobs.delete(key('later'));
    store.releaseRead();
    await settle();
    await clock.advance(20_000);
    expect(target.of('later')).toEqual([]);
  });

  it('does not fire again a job that fired and finished after the refill read it', async () => {
    const { clock, store, target, jobs, key } = await setup();
    await jobs.schedule(key('soon'), { dueTime: '3s' }); // within the window: held at once
    const reading = store.holdNextRead();
    await clock.advance(2_000); // the refill at 2 s reads 'soon' as it was before firing
    await reading;
    await clock.advance(2_000); // 'soon' fires at 3 s, its outcome is committed, it is let go
    expect(target.of('soon')).toHaveLength(1);
    store.releaseRead();
    await settle();
    await clock.advance(20_000);
    expect(target.of('soon').map((d) => d.at - T0)).toEqual([3_000]);
  });
});
