// Tombstones in a cluster (two replicas on one real etcd): a finished job reads as completed on
// every replica, is fired once only (the job watch hands tombstones to the other replica, which
// must neither fire nor delete them), can be scheduled again under its name without overwrite,
// and is purged by the replica owning its partition once older than --tombstone-ttl.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterHarness } from '../../../src/testing/cluster-harness.js';

describe('cluster: tombstones', () => {
  const cluster = new ClusterHarness({ replicas: 2, args: ['--tombstone-ttl', '8s'] });

  beforeAll(async () => {
    await cluster.start();
    await cluster.waitBalanced();
  }, 180_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  const state = async (url: string, name: string): Promise<string | number> => {
    const response = await fetch(`${url}/v1.0/jobs/${name}`);
    if (response.status !== 200) return response.status;
    return ((await response.json()) as { status: { state: string } }).status.state;
  };

  it('a finished job is completed on every replica, fired once, free to schedule again, then purged', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `once-${String(i).padStart(2, '0')}`);
    const due = new Date(Date.now() + 2_000).toISOString();
    const [a, b] = cluster.live();
    await Promise.all(names.map((name, i) => cluster.schedule(name, { dueTime: due }, i % 2 ? b : a)));
    await cluster.waitFor((d) => names.every((name) => d.some((x) => x.job === name)), 30_000, 'every job delivered');
    for (const replica of cluster.live()) {
      for (const name of names) await expect.poll(() => state(replica.url, name), { timeout: 10_000 }).toBe('completed');
    }
    // The name is free: scheduled again without overwrite, through the other replica.
    await cluster.schedule('once-00', { dueTime: new Date(Date.now() + 500).toISOString() }, b);
    await cluster.waitFor((d) => d.filter((x) => x.job === 'once-00').length === 2, 20_000, 'once-00 delivered again');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    for (const name of names) expect(cluster.deliveries().filter((d) => d.job === name), name).toHaveLength(name === 'once-00' ? 2 : 1);
    // Purged once older than the ttl, by whichever replica owns each partition (rounds every 2 s).
    for (const name of names.slice(1)) await expect.poll(() => state(a!.url, name), { timeout: 30_000, interval: 500 }).toBe(404);
  }, 120_000);
});
