// The etcd store's count of an app's jobs for --max-jobs-per-app (EtcdJobStore.countJobs,
// app-job-counts.ts), on a real etcd with a fake clock for its refresh interval: two stores on one
// prefix are two replicas. What it counts (every stored definition, tombstones included), this
// replica's own writes counted at once and exactly once, the other's seen at the next refresh.

import { describe, expect, it } from 'vitest';
import { EtcdJobStore } from '../../src/adapters/store-etcd/etcd-job-store.js';
import { KeyLayout } from '../../src/adapters/store-etcd/key-layout.js';
import { JobExistsError } from '../../src/core/errors.js';
import type { JobKey, Progress } from '../../src/core/model/job.js';
import { FakeClock } from '../../src/testing/fake-clock.js';
import { minimalRecord } from './job-store.suite.js';
import { useEtcdPerFile } from './etcd-per-file.js';

const etcd = useEtcdPerFile();
let prefixes = 0;

const APP = 'app';
const key = (name: string, appId = APP): JobKey => ({ namespace: 'default', appId, name });
const finished: Progress = { rev: 2, count: 1, attempts: 0, state: 'completed', finishedAt: 5_000, lastTrigger: 1_000 };

/** Two replicas' stores on one fresh prefix, on one fake clock. */
function replicas(): { a: EtcdJobStore; b: EtcdJobStore; clock: FakeClock; layout: KeyLayout; close(): Promise<void> } {
  const layout = new KeyLayout(`/job-count-${++prefixes}/`);
  const clock = new FakeClock();
  const a = new EtcdJobStore({ client: etcd.client, layout, partitionCount: 16, clock });
  const b = new EtcdJobStore({ client: etcd.client, layout, partitionCount: 16, clock });
  return { a, b, clock, layout, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

/** The app's definitions in etcd right now, counted apart from the store. */
async function inEtcd(layout: KeyLayout, appId = APP): Promise<number> {
  const range = layout.appRange('def', 'default', appId, '');
  return Number((await etcd.client.range({ key: range.start, rangeEnd: range.end, countOnly: true })).count);
}

async function finish(store: EtcdJobStore, name: string): Promise<void> {
  const record = (await store.get(key(name)))!;
  expect(await store.commitProgress({ key: key(name), uid: record.def.uid, expectedRev: 1, progress: finished })).toBe(true);
}

describe('EtcdJobStore.countJobs (--max-jobs-per-app)', () => {
  it('counts the app\'s stored jobs, tombstones included, and this replica\'s creates and deletes at once', async () => {
    const { a, clock, layout, close } = replicas();
    const count = () => a.countJobs('default', APP);
    expect(await count()).toBe(0);
    for (const name of ['j-1', 'j-2', 'j-3']) await a.create(minimalRecord(key(name)), { overwrite: false });
    expect(await count()).toBe(3);
    // An overwrite and a refused create add nothing.
    await a.create(minimalRecord(key('j-1')), { overwrite: true });
    await expect(a.create(minimalRecord(key('j-2')), { overwrite: false })).rejects.toBeInstanceOf(JobExistsError);
    expect(await count()).toBe(3);
    // A finished job stays in etcd as a tombstone, and in the count; a create over it adds nothing.
    await finish(a, 'j-3');
    await clock.advance(1_000);
    expect(await count()).toBe(3);
    await a.create(minimalRecord(key('j-3')), { overwrite: false });
    expect(await count()).toBe(3);
    // Deletes, by name, by prefix and by the tombstone sweep, count at once.
    expect((await a.delete(key('j-1')))?.key.name).toBe('j-1');
    expect(await count()).toBe(2);
    for (const name of ['p-1', 'p-2']) await a.create(minimalRecord(key(name)), { overwrite: false });
    expect(await count()).toBe(4);
    expect(await a.deleteByPrefix('default', APP, 'p-')).toBe(2);
    expect(await count()).toBe(2);
    await finish(a, 'j-2');
    expect(await a.purgeFinished(Number.MAX_SAFE_INTEGER, 10)).toBe(1);
    expect(await count()).toBe(1);
    expect(await inEtcd(layout)).toBe(1);
    await clock.advance(1_000);
    expect(await count()).toBe(1);
    // Other apps and namespaces apart.
    await a.create(minimalRecord(key('x', 'other-app')), { overwrite: false });
    expect(await a.countJobs('default', 'other-app')).toBe(1);
    expect(await a.countJobs('elsewhere', APP)).toBe(0);
    expect(await count()).toBe(1);
    await close();
  });

  it('sees another replica\'s writes at its next count, one refresh interval after the last', async () => {
    const { a, b, clock, close } = replicas();
    expect(await a.countJobs('default', APP)).toBe(0);
    await b.create(minimalRecord(key('b-1')), { overwrite: false });
    await b.create(minimalRecord(key('b-2')), { overwrite: false });
    expect(await a.countJobs('default', APP)).toBe(0);
    await clock.advance(999);
    expect(await a.countJobs('default', APP)).toBe(0);
    await clock.advance(1);
    expect(await a.countJobs('default', APP)).toBe(2);
    // B's own first count reads etcd; then B's delete counts on B at once, on A at its next count.
    expect(await b.countJobs('default', APP)).toBe(2);
    expect((await b.delete(key('b-1')))?.key.name).toBe('b-1');
    expect(await b.countJobs('default', APP)).toBe(1);
    expect(await a.countJobs('default', APP)).toBe(2);
    await clock.advance(1_000);
    expect(await a.countJobs('default', APP)).toBe(1);
    await close();
  });

  it('counts each of its own writes once when they cross a count in flight', async () => {
    const { a, clock, layout, close } = replicas();
    expect(await a.countJobs('default', APP)).toBe(0);
    for (let round = 0; round < 8; round++) {
      await clock.advance(1_000);
      // A refresh sent while creates are on the wire (sent, not yet answered: etcd may apply them
      // before the read, whose count then has them) and before others and deletes are sent.
      const writes: Array<Promise<unknown>> = [];
      for (let i = 0; i < 6; i++) writes.push(a.create(minimalRecord(key(`r${round}-${i}`)), { overwrite: false }));
      await new Promise((resolve) => setImmediate(resolve));
      const counted = a.countJobs('default', APP);
      for (let i = 6; i < 10; i++) writes.push(a.create(minimalRecord(key(`r${round}-${i}`)), { overwrite: false }));
      if (round > 0) for (let i = 0; i < 3; i++) writes.push(a.delete(key(`r${round - 1}-${i}`)));
      await Promise.all([...writes, counted]);
      expect(await a.countJobs('default', APP), `round ${round}`).toBe(await inEtcd(layout));
    }
    expect(await inEtcd(layout)).toBe(8 * 10 - 7 * 3);
    await close();
  });
});
