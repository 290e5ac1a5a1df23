import { describe, expect, it } from 'vitest';
import type { RangeRequest, TxnRequest } from '../../src/adapters/store-etcd/etcd-api.js';
import type { EtcdClient } from '../../src/adapters/store-etcd/etcd-client.js';
import { EtcdJobStore } from '../../src/adapters/store-etcd/etcd-job-store.js';
import { KeyLayout, prefixRange } from '../../src/adapters/store-etcd/key-layout.js';
import { PartitionFence } from '../../src/adapters/store-etcd/partition-fence.js';
import { TxnBatcher } from '../../src/adapters/store-etcd/txn-batcher.js';
import { delReturningPrevious, previousKv, put, putReturningPrevious } from '../../src/adapters/store-etcd/txn-ops.js';
import { partitionOf } from '../../src/core/model/partition.js';
import { jobStoreConformance, key, minimalRecord } from './job-store.suite.js';
import { useEtcdPerFile } from './etcd-per-file.js';

// One real etcd for the file; every store gets a fresh key prefix, so each test starts empty.
const etcd = useEtcdPerFile();
let stores = 0;

function freshStore(options: { historyLimit?: number } = {}): { store: EtcdJobStore; layout: KeyLayout } {
  const layout = new KeyLayout(`/conformance-${++stores}/`);
  return { store: new EtcdJobStore({ client: etcd.client, layout, partitionCount: 16, ...options }), layout };
}

jobStoreConformance('etcd', async () => {
  const { store, layout } = freshStore();
  return {
    store,
    cleanup: async () => {
      await store.close();
      const all = prefixRange(Buffer.from(layout.prefix));
      await etcd.client.txn({ compare: [], success: [{ requestDeleteRange: { key: all.start, rangeEnd: all.end } }], failure: [] });
    },
  };
});

// What only the etcd store has: its key layout, history trimming in etcd, and a lifecycle.
describe('EtcdJobStore', () => {
  const countKeys = async (prefix: string): Promise<number> => {
    const range = prefixRange(Buffer.from(prefix));
    return Number((await etcd.client.range({ key: range.start, rangeEnd: range.end, countOnly: true })).count);
  };

  it('keeps no more history keys in etcd than the limit', async () => {
    const { store, layout } = freshStore({ historyLimit: 3 });
    const r = minimalRecord(key('trimmed'));
    await store.create(r, { overwrite: false });
    for (let rev = 1; rev <= 10; rev++) {
      const entry = { scheduledAt: rev, at: rev, attempt: 1, outcome: 'success' as const, manual: false };
      expect(await store.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: rev, progress: { ...r.progress, rev: rev + 1 }, history: entry })).toBe(true);
    }
    expect((await store.history(r.def.key, 10)).map((e) => e.scheduledAt)).toEqual([10, 9, 8]);
    expect(await countKeys(`${layout.prefix}hist/`)).toBe(3);
    await store.close();
  });

  it('leaves no keys behind when jobs finish or are deleted', async () => {
    const { store, layout } = freshStore();
    const a = minimalRecord(key('a'), { nextAt: 1_000, tickAt: 1_000 });
    const b = minimalRecord(key('b'), { nextAt: 2_000, tickAt: 2_000 });
    await store.create(a, { overwrite: false });
    await store.create(b, { overwrite: false });
    const entry = { scheduledAt: 1, at: 1, attempt: 1, outcome: 'success' as const, manual: false };
    await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: 1, progress: { ...a.progress, rev: 2, nextAt: 3_000, tickAt: 3_000 }, history: entry });
    await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: 2, progress: null });
    await store.create(minimalRecord(key('b'), { nextAt: 5_000 }), { overwrite: true });
    await store.deleteByPrefix('default', 'app-a', '');
    expect(await countKeys(layout.prefix)).toBe(0);
    await store.close();
  });

  it('a tombstone keeps its keys in the finished index until purged, then leaves none; a purge reads about limit keys', async () => {
    const { store, layout } = freshStore();
    const finish = async (name: string, at: number): Promise<void> => {
      const r = minimalRecord(key(name), { nextAt: 1_000, tickAt: 1_000 });
      await store.create(r, { overwrite: false });
      const entry = { scheduledAt: 1_000, at, attempt: 1, outcome: 'success' as const, manual: false };
      const progress = { rev: 2, count: 1, attempts: 0, state: 'completed' as const, finishedAt: at, lastTrigger: 1_000 };
      expect(await store.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: 1, progress, history: entry })).toBe(true);
    };
    for (let i = 0; i < 40; i++) await finish(`done-${i}`, 5_000 + i);
    expect(await countKeys(`${layout.prefix}ended/`)).toBe(40);
    expect(await countKeys(`${layout.prefix}due/`)).toBe(0);
    // 40 tombstones over 16 partitions: a purge of 5 deletes exactly 5.
    expect(await store.purgeFinished(10_000, 5)).toBe(5);
    expect(await countKeys(`${layout.prefix}ended/`)).toBe(35);
    expect(await store.purgeFinished(10_000, 100)).toBe(35);
    expect(await countKeys(layout.prefix)).toBe(0);
    await store.close();
  });

  it('purges tombstones of held partitions only', async () => {
    const layout = new KeyLayout(`/conformance-${++stores}/`);
    const fence = new PartitionFence(16);
    const store = new EtcdJobStore({ client: etcd.client, layout, partitionCount: 16, fence });
    const r = minimalRecord(key('ended-here'), { nextAt: 1_000, tickAt: 1_000 });
    const p = partitionOf(r.def.key, 16);
    await store.create(r, { overwrite: false });
    const progress = { rev: 2, count: 1, attempts: 0, state: 'failed' as const, finishedAt: 2_000 };
    expect(await store.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: 1, progress })).toBe(true);
    expect(await store.purgeFinished(5_000, 10)).toBe(0); // not ours
    const revision = Number((await etcd.client.txn({ compare: [], success: [{ requestPut: { key: layout.ownerKey(p), value: Buffer.from('me') } }], failure: [] })).header.revision);
    fence.hold(p, revision);
    expect(await store.purgeFinished(5_000, 10)).toBe(1);
    expect(await store.get(r.def.key)).toBeUndefined();
    await store.close();
  });

  it('a second store on the same prefix sees the first one\'s writes and can take over a job', async () => {
    const { store: first, layout } = freshStore();
    const second = new EtcdJobStore({ client: etcd.client, layout, partitionCount: 16 });
    const r = minimalRecord(key('shared'), { nextAt: 1_000, tickAt: 1_000 });
    await first.create(r, { overwrite: false });
    expect(await second.get(r.def.key)).toEqual(r);
    // The second writes with no cached revision; the first's cached view is then stale.
    expect(await second.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: 1, progress: { ...r.progress, rev: 2 } })).toBe(true);
    expect(await first.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: 1, progress: { ...r.progress, rev: 2 } })).toBe(false);
    expect(await first.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: 2, progress: { ...r.progress, rev: 3 } })).toBe(true);
    expect((await second.get(r.def.key))?.progress.rev).toBe(3);
    await first.close();
    await second.close();
  });

  it('fences progress commits with the partition owner key, and reads only held partitions', async () => {
    const layout = new KeyLayout(`/conformance-${++stores}/`);
    const fence = new PartitionFence(16);
    const store = new EtcdJobStore({ client: etcd.client, layout, partitionCount: 16, fence });
    const r = minimalRecord(key('fenced'), { nextAt: 1_000, tickAt: 1_000 });
    const p = partitionOf(r.def.key, 16);
    const other = minimalRecord(key('elsewhere'), { nextAt: 1_000, tickAt: 1_000 });
    let otherName = 0;
    while (partitionOf(other.def.key, 16) === p) other.def.key.name = `elsewhere-${++otherName}`;
    await store.create(r, { overwrite: false });
    await store.create(other, { overwrite: false });
    const ownerKey = layout.ownerKey(p);
    const takeOwnership = async (member: string): Promise<number> =>
      Number((await etcd.client.txn({ compare: [], success: [{ requestPut: { key: ownerKey, value: Buffer.from(member) } }], failure: [] })).header.revision);

    // Nothing held: nothing due for this replica.
    expect(await store.dueBefore(5_000, 10)).toEqual([]);
    fence.hold(p, await takeOwnership('me'));
    expect((await store.dueBefore(5_000, 10)).map((x) => x.def.key.name)).toEqual(['fenced']);
    const bump = (rev: number) => ({ key: r.def.key, uid: r.def.uid, expectedRev: rev, progress: { ...r.progress, rev: rev + 1 } });
    expect(await store.commitProgress(bump(1))).toBe(true);

    // Someone else's owner key now (recreated: a new create revision): the old owner is fenced off.
    await etcd.client.txn({ compare: [], success: [{ requestDeleteRange: { key: ownerKey } }], failure: [] });
    await takeOwnership('someone-else');
    const lost: number[] = [];
    fence.onLost((partition) => lost.push(partition));
    expect(await store.commitProgress(bump(2))).toBe(false);
    expect(lost).toEqual([p]);
    expect(fence.owns(p)).toBe(false);
    expect(await store.commitProgress(bump(2))).toBe(false); // the stale token keeps refusing
    expect((await store.get(r.def.key))?.progress.rev).toBe(2);

    // Once let go, a commit for a partition owned elsewhere is an API write: uid and rev only.
    fence.clearStale(p);
    expect(await store.commitProgress(bump(2))).toBe(true);
    expect((await store.get(r.def.key))?.progress.rev).toBe(3);
    await store.close();
  });

  it('a refill reads only the jobs it does not hold: held ones count toward the limit but are not fetched', async () => {
    const { store } = freshStore();
    for (let i = 0; i < 6; i++) await store.create(minimalRecord(key(`h${i}`), { nextAt: 1_000 + i, tickAt: 1_000 + i }), { overwrite: false });
    const held = new Set(['h0', 'h2', 'h3']);
    const got = await store.dueBefore(5_000, 4, (k) => held.has(k.name));
    // The 4 earliest are h0..h3; of those only h1 is not held.
    expect(got.map((r) => r.def.key.name)).toEqual(['h1']);
    await store.close();
  });

  it('refuses calls after close', async () => {
    const { store } = freshStore();
    await store.close();
    await expect(store.get(key('x'))).rejects.toThrow(/closed/);
  });

  // A create or delete answers the definition it replaced from prev_kv, which etcd reads inside
  // the put or delete: the store's writes go as nested transactions of one batch (txn-batcher.ts).
  it('etcd answers prev_kv for a put and a delete inside nested transactions of one batch', async () => {
    const sent: TxnRequest[] = [];
    const client = { txn: (request: TxnRequest) => (sent.push(request), etcd.client.txn(request)) } as unknown as EtcdClient;
    const batch = new TxnBatcher(client);
    const k = (name: string): Buffer => Buffer.from(`/nested-prev-kv/${name}`);
    await etcd.client.txn({ compare: [], success: [put(k('a'), Buffer.from('a1')), put(k('b'), Buffer.from('b1'))], failure: [] });
    sent.length = 0;
    const [replaced, deleted, fresh] = await Promise.all([
      batch.txn({ compare: [], success: [putReturningPrevious(k('a'), Buffer.from('a2'))], failure: [] }),
      batch.txn({ compare: [], success: [delReturningPrevious(k('b'))], failure: [] }),
      batch.txn({ compare: [], success: [putReturningPrevious(k('c'), Buffer.from('c1')), delReturningPrevious(k('none'))], failure: [] }),
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.success.map((op) => 'requestTxn' in op)).toEqual([true, true, true]);
    expect(previousKv(replaced.responses[0])?.value.toString()).toBe('a1');
    expect(previousKv(deleted.responses[0])?.value.toString()).toBe('b1');
    expect(previousKv(fresh.responses[0])).toBeUndefined();
    expect(previousKv(fresh.responses[1])).toBeUndefined();
  });

  it('the answers cost no request: a create of a free name is one transaction that asks nothing back; an overwrite and a delete as before', async () => {
    const calls: string[] = [];
    const asked: boolean[] = [];
    const client = new Proxy(etcd.client, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (property !== 'txn' && property !== 'range') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        return (request: TxnRequest & RangeRequest) => {
          calls.push(property);
          for (const op of property === 'txn' ? request.success : []) asked.push(('requestPut' in op && op.requestPut.prevKv === true) || ('requestDeleteRange' in op && op.requestDeleteRange.prevKv === true));
          return (value as (request: unknown) => Promise<unknown>).call(target, request);
        };
      },
    });
    const store = new EtcdJobStore({ client, layout: new KeyLayout(`/conformance-${++stores}/`), partitionCount: 16 });
    const first = minimalRecord(key('counted'), { nextAt: 1_000, tickAt: 1_000 });
    expect(await store.create(first, { overwrite: false })).toBeUndefined();
    expect(calls).toEqual(['txn']);
    expect(asked).toEqual([false, false, false]); // definition, progress, due index
    calls.length = 0;
    asked.length = 0;
    // An overwrite reads the progress it replaces (as it always has) and asks the definition back in its put.
    const second = minimalRecord(key('counted'), { nextAt: 2_000, tickAt: 2_000 });
    expect(await store.create(second, { overwrite: true })).toStrictEqual(first.def);
    expect(calls).toEqual(['range', 'txn']);
    expect(asked.filter(Boolean)).toHaveLength(1);
    calls.length = 0;
    // A delete from the progress this replica wrote: one transaction.
    expect(await store.delete(second.def.key)).toStrictEqual(second.def);
    expect(calls).toEqual(['txn']);
    await store.close();
  });
});
