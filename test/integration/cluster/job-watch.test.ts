// The job watch of a cluster member, on a real etcd: two members (A and B) on one prefix, B owning
// one partition and A none. What B's engine hears when A's API writes jobs, and what etcd sends.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdCluster } from '../../../src/adapters/store-etcd/etcd-cluster.js';
import { EtcdJobStore } from '../../../src/adapters/store-etcd/etcd-job-store.js';
import { KeyLayout } from '../../../src/adapters/store-etcd/key-layout.js';
import { PartitionFence } from '../../../src/adapters/store-etcd/partition-fence.js';
import type { JobKey, JobRecord } from '../../../src/core/model/job.js';
import { partitionOf } from '../../../src/core/model/partition.js';
import type { JobChange } from '../../../src/core/ports/cluster-membership.js';
import { minimalRecord } from '../../conformance/job-store.suite.js';
import { useEtcdPerFile } from '../../conformance/etcd-per-file.js';

const PARTITIONS = 16;
const HORIZON_MS = 20_000;

const etcd = useEtcdPerFile();
let prefixes = 0;

interface Member {
  store: EtcdJobStore;
  cluster: EtcdCluster;
  changes: JobChange[];
}

async function member(prefix: string, id: string): Promise<Member> {
  const layout = new KeyLayout(prefix);
  const fence = new PartitionFence(PARTITIONS);
  const store = new EtcdJobStore({ client: etcd.client, layout, partitionCount: PARTITIONS, fence });
  const cluster = new EtcdCluster({ client: etcd.client, layout, fence, store, memberId: id, leaseTtlSeconds: 5, watchHorizonMs: HORIZON_MS });
  const changes: JobChange[] = [];
  cluster.onJobChange((change) => changes.push(change));
  await cluster.join({ joinedAt: Date.now() });
  return { store, cluster, changes };
}

/** Job names in partition p (or, with `not`, in any other). */
function namesIn(p: number, count: number, not = false): JobKey[] {
  const keys: JobKey[] = [];
  for (let i = 0; keys.length < count; i++) {
    const key = { namespace: 'default', appId: 'app', name: `job-${i}` };
    if ((partitionOf(key, PARTITIONS) === p) !== not) keys.push(key);
  }
  return keys;
}

async function watchEventsSent(): Promise<number> {
  const text = await (await fetch(`${etcd.server.url}/metrics`)).text();
  return Number(/^etcd_debugging_mvcc_events_total (\S+)$/m.exec(text)?.[1]);
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 500));
const dueIn = (ms: number): Partial<JobRecord['progress']> => ({ nextAt: Date.now() + ms, tickAt: Date.now() + ms });

describe('the job watch', () => {
  let a: Member;
  let b: Member;
  const P = 3;

  beforeAll(async () => {
    const prefix = `/job-watch-${++prefixes}/`;
    a = await member(prefix, 'a');
    b = await member(prefix, 'b');
    expect(await b.cluster.acquire([P])).toEqual([P]);
  }, 30_000);

  afterAll(async () => {
    await Promise.allSettled([a?.cluster.leave(), b?.cluster.leave()]);
    await Promise.allSettled([a?.store.close(), b?.store.close()]);
  });

  it('tells the owner of a job created elsewhere and due soon, with its record', async () => {
    b.changes.length = 0;
    const [k] = namesIn(P, 1);
    const record = minimalRecord(k!, dueIn(5_000));
    await a.store.create(record, { overwrite: false });
    await settle();
    expect(b.changes).toEqual([{ kind: 'upsert', record }]);
    expect(a.changes).toEqual([]);
  });

  it('reads nothing and reports nothing for jobs created elsewhere beyond the horizon, and sends each watcher at most one small event per job', async () => {
    b.changes.length = 0;
    const keys = namesIn(P, 41).slice(1);
    const before = await watchEventsSent();
    for (const k of keys) await a.store.create(minimalRecord(k, dueIn(3_600_000)), { overwrite: false });
    await settle();
    const sent = (await watchEventsSent()) - before;
    expect(b.changes).toEqual([]);
    // Two members watching: at most one event per job for each (the index key), none for the
    // definition and progress values.
    expect(sent).toBeLessThanOrEqual(keys.length * 2);
  });

  it('tells the owner when a job it may hold is paused, moved beyond the horizon or deleted elsewhere', async () => {
    const [k] = namesIn(P, 42).slice(41);
    const record = minimalRecord(k!, dueIn(5_000));
    await a.store.create(record, { overwrite: false });
    await settle();
    b.changes.length = 0;

    // Paused (no next instant): out of the due index.
    const paused = { ...record.progress, rev: 2, nextAt: undefined, tickAt: undefined };
    expect(await a.store.commitProgress({ key: k!, uid: record.def.uid, expectedRev: 1, progress: paused })).toBe(true);
    await settle();
    expect(b.changes).toEqual([{ kind: 'upsert', record: { def: record.def, progress: paused } }]);

    // Resumed far ahead, then overwritten due in an hour: both move its index key.
    b.changes.length = 0;
    const later = { ...paused, rev: 3, ...dueIn(3_600_000) };
    expect(await a.store.commitProgress({ key: k!, uid: record.def.uid, expectedRev: 2, progress: later })).toBe(true);
    await settle();
    expect(b.changes).toEqual([]); // resumed beyond the horizon: a refill loads it in time

    const soon = { ...later, rev: 4, ...dueIn(3_000) };
    expect(await a.store.commitProgress({ key: k!, uid: record.def.uid, expectedRev: 3, progress: soon })).toBe(true);
    await settle();
    expect(b.changes).toEqual([{ kind: 'upsert', record: { def: record.def, progress: soon } }]);

    b.changes.length = 0;
    const replaced = minimalRecord(k!, dueIn(3_600_000));
    await a.store.create(replaced, { overwrite: true });
    await settle();
    expect(b.changes).toEqual([{ kind: 'upsert', record: replaced }]);

    b.changes.length = 0;
    expect(await a.store.delete(k!)).toEqual(replaced.def);
    await settle();
    expect(b.changes).toEqual([{ kind: 'removed', key: k }]);
  });

  it('is silent about the owner\'s own writes and about other partitions', async () => {
    a.changes.length = 0;
    b.changes.length = 0;
    const [own] = namesIn(P, 43).slice(42);
    const [other] = namesIn(P, 1, true);
    await b.store.create(minimalRecord(own!, dueIn(2_000)), { overwrite: false });
    await a.store.create(minimalRecord(other!, dueIn(2_000)), { overwrite: false });
    await settle();
    expect(b.changes).toEqual([]);
    expect(a.changes).toEqual([]);
  });
});
