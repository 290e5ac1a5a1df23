// The job watch reads a job whose index key changed and reports what it found. A job read as gone
// is reported removed; but when this replica created the job again while that read was out (its
// own API call, answered, the engine told), the late "removed" would drop the new job from the
// engine, and nothing brings it back before the once-a-minute whole refill (own writes are not
// reported). On a real etcd: the owner's reads are held by a store subclass at the right moment.

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
const P = 5;
const etcd = useEtcdPerFile();

/** The etcd store, whose watch reads wait for `hold` once they have read (their answer held). */
class HeldReadStore extends EtcdJobStore {
  hold: Promise<void> | undefined;
  reached: (() => void) | undefined;
  override async getManyWithRevision(keys: JobKey[]): ReturnType<EtcdJobStore['getManyWithRevision']> {
    const found = await super.getManyWithRevision(keys);
    const hold = this.hold;
    if (hold) {
      this.reached?.();
      await hold;
    }
    return found;
  }
}

interface Member {
  store: HeldReadStore;
  cluster: EtcdCluster;
  changes: JobChange[];
}

async function member(prefix: string, id: string): Promise<Member> {
  const layout = new KeyLayout(prefix);
  const fence = new PartitionFence(PARTITIONS);
  const store = new HeldReadStore({ client: etcd.client, layout, partitionCount: PARTITIONS, fence });
  const cluster = new EtcdCluster({ client: etcd.client, layout, fence, store, memberId: id, leaseTtlSeconds: 5, watchHorizonMs: 20_000 });
  const changes: JobChange[] = [];
  cluster.onJobChange((change) => changes.push(change));
  await cluster.join({ joinedAt: Date.now() });
  return { store, cluster, changes };
}

function nameIn(p: number): JobKey {
  for (let i = 0; ; i++) {
    const key = { namespace: 'default', appId: 'app', name: `late-${i}` };
    if (partitionOf(key, PARTITIONS) === p) return key;
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 500));
const dueIn = (ms: number): Partial<JobRecord['progress']> => ({ nextAt: Date.now() + ms, tickAt: Date.now() + ms });

describe('the job watch, a removal read before the owner created the job again', () => {
  let a: Member;
  let b: Member;

  beforeAll(async () => {
    a = await member('/job-watch-late-removal/', 'a');
    b = await member('/job-watch-late-removal/', 'b');
    expect(await b.cluster.acquire([P])).toEqual([P]);
  }, 30_000);

  afterAll(async () => {
    await Promise.allSettled([a?.cluster.leave(), b?.cluster.leave()]);
    await Promise.allSettled([a?.store.close(), b?.store.close()]);
  });

  it('does not report the job removed once the owner has written it again', async () => {
    const key = nameIn(P);
    await a.store.create(minimalRecord(key, dueIn(5_000)), { overwrite: false });
    await settle();
    b.changes.length = 0;

    // Another replica deletes the job; the owner's watch reads it (gone) and its answer is held.
    let release!: () => void;
    b.store.hold = new Promise((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (b.store.reached = resolve));
    expect((await a.store.delete(key))?.key).toEqual(key);
    await reached;
    b.store.hold = undefined;

    // The owner's own API creates it again meanwhile (its engine is told by the API, not the watch).
    const again = minimalRecord(key, dueIn(5_000));
    await b.store.create(again, { overwrite: false });
    release();
    await settle();
    expect(b.changes).toEqual([]);
    expect(await b.store.get(key)).toEqual(again);
  });
});
