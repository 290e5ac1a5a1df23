import { afterEach, describe, expect, it } from 'vitest';
import { TombstoneSweep } from '../../../src/app/tombstone-sweep.js';
import { FakeClock } from '../../../src/testing/fake-clock.js';
import { makeHarness, T0 } from '../engine/harness.js';

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness | undefined;
let sweep: TombstoneSweep | undefined;
afterEach(async () => {
  await sweep?.stop();
  await h?.engine.stop();
  sweep = h = undefined;
});

async function countJobs(harness: Harness): Promise<number> {
  let n = 0;
  let after: string | undefined;
  for (let i = 0; i < 1_000; i++) {
    const page = await harness.store.list('default', 'app', { limit: 1_000, ...(after !== undefined ? { after } : {}) });
    n += page.records.length;
    if (page.next === undefined) return n;
    after = page.next;
  }
  throw new Error('list did not end');
}

describe('TombstoneSweep', () => {
  it('purges tombstones older than the ttl, at most pages x pageSize a round, and leaves live jobs', async () => {
    h = await makeHarness({ keepFinished: () => true });
    for (let i = 0; i < 1_200; i++) await h.schedule(`once-${i}`, { dueTime: '1s' });
    await h.schedule('later', { dueTime: '1h' });
    const purged: number[] = [];
    sweep = new TombstoneSweep(h.store, h.clock, { ttlMs: 60_000, pageSize: 100, pages: 5, onPurged: (n) => purged.push(n) });
    sweep.start(); // a round every 15 s
    await h.clock.advance(5_000);
    expect((await h.jobs.get(h.key('once-0'))).status.state).toBe('completed');
    expect(await countJobs(h)).toBe(1_201);
    await h.clock.advance(55_000); // rounds at 15, 30, 45, 60 s: nothing is a minute old yet
    expect(purged).toEqual([]);
    await h.clock.advance(15_000); // 75 s: every tombstone is older than 60 s, one round takes 500
    expect(purged).toEqual([500]);
    expect(await countJobs(h)).toBe(701);
    await h.clock.advance(30_000);
    expect(purged).toEqual([500, 500, 200]);
    expect(await countJobs(h)).toBe(1);
    expect((await h.jobs.get(h.key('later'))).status.state).toBe('active');
    await expect(h.jobs.get(h.key('once-7'))).rejects.toThrow(/not found/);
  });

  it('a failed round is reported and the next one runs', async () => {
    const clock = new FakeClock(T0);
    let calls = 0;
    const errors: unknown[] = [];
    const store = {
      purgeFinished: async (): Promise<number> => {
        if (++calls === 1) throw new Error('store down');
        return 0;
      },
    };
    sweep = new TombstoneSweep(store, clock, { ttlMs: 10_000, onError: (e) => errors.push(e) });
    sweep.start();
    await clock.advance(2_500 * 3);
    expect(errors).toHaveLength(1);
    expect(calls).toBe(3);
  });

  it('refuses a ttl of 0: a disabled ttl has no sweep', () => {
    expect(() => new TombstoneSweep({ purgeFinished: async () => 0 }, new FakeClock(T0), { ttlMs: 0 })).toThrow(RangeError);
  });
});
