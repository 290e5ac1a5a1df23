import { describe, expect, it } from 'vitest';
import { AppJobCounts, refreshIntervalMs, type CountRead } from '../../../src/adapters/store-etcd/app-job-counts.js';
import { FakeClock } from '../../../src/testing/fake-clock.js';

/** A count read the test answers: what etcd holds for each app, and the reads asked so far. */
function heldReads(): { read: (namespace: string, appId: string) => Promise<CountRead>; asked: string[]; answer(count: number, revision: number): void; fail(error: Error): void } {
  const asked: string[] = [];
  const pending: Array<{ resolve: (read: CountRead) => void; reject: (error: Error) => void }> = [];
  return {
    asked,
    read: (namespace, appId) =>
      new Promise<CountRead>((resolve, reject) => {
        asked.push(`${namespace}/${appId}`);
        pending.push({ resolve, reject });
      }),
    answer: (count, revision) => pending.shift()!.resolve({ count, revision }),
    fail: (error) => pending.shift()!.reject(error),
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('refreshIntervalMs', () => {
  it('is 1 s up to 33,333 jobs, then 30 ms per 1,000 jobs, at most 60 s', () => {
    expect(refreshIntervalMs(0)).toBe(1_000);
    expect(refreshIntervalMs(33_333)).toBe(1_000);
    expect(refreshIntervalMs(100_000)).toBe(3_000);
    expect(refreshIntervalMs(1_000_000)).toBe(30_000);
    expect(refreshIntervalMs(5_000_000)).toBe(60_000);
  });
});

describe('AppJobCounts', () => {
  it('reads an app once for its first callers together, then answers from the cache until the interval has passed', async () => {
    const clock = new FakeClock();
    const reads = heldReads();
    const counts = new AppJobCounts(reads.read, clock);
    const first = [counts.count('ns', 'app'), counts.count('ns', 'app')];
    expect(reads.asked).toEqual(['ns/app']);
    reads.answer(7, 100);
    expect(await Promise.all(first)).toEqual([7, 7]);
    await clock.advance(999);
    expect(await counts.count('ns', 'app')).toBe(7);
    expect(reads.asked).toHaveLength(1);
    // Past the interval the next caller waits for a fresh count, and so does one arriving meanwhile.
    await clock.advance(1);
    const stale = [counts.count('ns', 'app'), counts.count('ns', 'app')];
    expect(reads.asked).toHaveLength(2);
    reads.answer(9, 120);
    expect(await Promise.all(stale)).toEqual([9, 9]);
  });

  it('refreshes a large app less often: its count is a walk of its keys in etcd', async () => {
    const clock = new FakeClock();
    const reads = heldReads();
    const counts = new AppJobCounts(reads.read, clock);
    const first = counts.count('ns', 'big');
    reads.answer(1_000_000, 100);
    await first;
    await clock.advance(29_999);
    expect(await counts.count('ns', 'big')).toBe(1_000_000);
    expect(reads.asked).toHaveLength(1);
    await clock.advance(1);
    const next = counts.count('ns', 'big');
    expect(reads.asked).toHaveLength(2);
    reads.answer(999_000, 130);
    expect(await next).toBe(999_000);
  });

  it('adds this replica\'s own writes to the cached count, once: not those the read already saw', async () => {
    const clock = new FakeClock();
    const reads = heldReads();
    const counts = new AppJobCounts(reads.read, clock);
    const first = counts.count('ns', 'app');
    // Answered while the first read was out: one before its revision (counted by it), two after.
    counts.note('ns', 'app', 95, +1);
    counts.note('ns', 'app', 105, +1);
    counts.note('ns', 'app', 106, +1);
    reads.answer(10, 100);
    expect(await first).toBe(12);
    counts.note('ns', 'app', 107, -1);
    counts.note('ns', 'app', 99, -1); // a write answered late, at a revision the read saw: counted already
    counts.note('ns', 'other', 108, +1); // an app never counted: nothing kept for it
    expect(await counts.count('ns', 'app')).toBe(11);
    // A refresh: writes at or before its revision are in its count, later ones added to it.
    await clock.advance(1_000);
    const refreshed = counts.count('ns', 'app');
    counts.note('ns', 'app', 110, +1);
    counts.note('ns', 'app', 112, +1);
    reads.answer(13, 111);
    expect(await refreshed).toBe(14);
    expect(reads.asked).toEqual(['ns/app', 'ns/app']);
  });

  it('answers the cached count with the writes made during a refresh once they are answered, never below zero', async () => {
    const clock = new FakeClock();
    const reads = heldReads();
    const counts = new AppJobCounts(reads.read, clock);
    const first = counts.count('ns', 'app');
    reads.answer(1, 100);
    expect(await first).toBe(1);
    counts.note('ns', 'app', 101, -1);
    counts.note('ns', 'app', 102, -1); // another delete of a job the count has not seen: still 0
    expect(await counts.count('ns', 'app')).toBe(0);
  });

  it('keeps a failed read from answering: the callers get the error, the next call reads again', async () => {
    const clock = new FakeClock();
    const reads = heldReads();
    const counts = new AppJobCounts(reads.read, clock);
    const first = counts.count('ns', 'app');
    reads.fail(new Error('etcd unreachable'));
    await expect(first).rejects.toThrow('etcd unreachable');
    const second = counts.count('ns', 'app');
    expect(reads.asked).toHaveLength(2);
    reads.answer(3, 50);
    expect(await second).toBe(3);
    // A refresh that fails leaves the old count stale: the next caller reads again.
    await clock.advance(1_000);
    const third = counts.count('ns', 'app');
    reads.fail(new Error('etcd unreachable'));
    await expect(third).rejects.toThrow('etcd unreachable');
    const fourth = counts.count('ns', 'app');
    expect(reads.asked).toHaveLength(4);
    reads.answer(4, 60);
    expect(await fourth).toBe(4);
  });

  it('reads again when the clock went back (a count of unknown age)', async () => {
    const clock = new FakeClock();
    const reads = heldReads();
    const counts = new AppJobCounts(reads.read, clock);
    const first = counts.count('ns', 'app');
    reads.answer(2, 10);
    await first;
    clock.stepBack(5_000);
    const again = counts.count('ns', 'app');
    expect(reads.asked).toHaveLength(2);
    reads.answer(2, 11);
    expect(await again).toBe(2);
  });

  it('keeps at most maxApps apps, dropping the one counted longest ago', async () => {
    const clock = new FakeClock();
    const reads = heldReads();
    const counts = new AppJobCounts(reads.read, clock, { maxApps: 2 });
    for (const app of ['a', 'b']) {
      const pending = counts.count('ns', app);
      reads.answer(1, 10);
      await pending;
      await clock.advance(10);
    }
    // a is refreshed, so b becomes the one counted longest ago.
    await clock.advance(1_000);
    const refreshA = counts.count('ns', 'a');
    reads.answer(1, 20);
    await refreshA;
    const c = counts.count('ns', 'c');
    reads.answer(1, 30);
    await c;
    await settle();
    expect(reads.asked).toEqual(['ns/a', 'ns/b', 'ns/a', 'ns/c']);
    expect(await counts.count('ns', 'a')).toBe(1);
    expect(await counts.count('ns', 'c')).toBe(1);
    expect(reads.asked).toHaveLength(4);
    const b = counts.count('ns', 'b');
    expect(reads.asked).toEqual(['ns/a', 'ns/b', 'ns/a', 'ns/c', 'ns/b']);
    reads.answer(1, 40);
    expect(await b).toBe(1);
  });
});
