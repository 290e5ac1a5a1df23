// etcd stopped and started again under three busy replicas: they notice (GET /readyz says so),
// reconnect with backoff, keep or re-take their partitions, and carry on: no tick lost, none
// early. Ticks delivered while etcd was down are committed once it is back, so repeats should
// be rare; any are counted and printed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterHarness, duplicates, type Replica } from '../../../src/testing/cluster-harness.js';
import { waitUntil } from '../../../src/testing/servers/probe.js';

interface Readyz {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

async function readyz(replica: Replica): Promise<Readyz> {
  const response = await fetch(`${replica.url}/readyz`);
  return (await response.json()) as Readyz;
}

describe('cluster: etcd restarted', () => {
  const cluster = new ClusterHarness({ replicas: 3 });

  beforeAll(async () => {
    await cluster.start();
    await cluster.waitBalanced();
  }, 180_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  it('reconnects, reports it in /readyz, and loses nothing', async () => {
    const jobs = 150;
    const ticks = 20;
    const names = await cluster.scheduleRecurring('er-', jobs, ticks);
    await cluster.waitFor((d) => d.filter((x) => x.job.startsWith('er-')).length >= jobs * 3, 60_000, 'three ticks of every job');

    const downAt = Date.now();
    await cluster.etcd.down();
    // Every replica notices and says so (its watches break at once).
    for (const replica of cluster.live()) {
      await waitUntil(`${replica.name} to report etcd unreachable`, async () => {
        const report = await readyz(replica);
        return !report.ready && report.checks.cluster?.ok === false;
      }, { timeoutMs: 15_000 });
    }
    const example = await readyz(cluster.live()[0]!);
    console.log('readyz while etcd is down:', JSON.stringify(example.checks.cluster));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 3_000 - (Date.now() - downAt))));
    await cluster.etcd.up();
    const upAt = Date.now();
    console.log(`etcd was down for ${upAt - downAt} ms`);

    for (const replica of cluster.live()) await waitUntil(`${replica.name} to be ready again`, async () => (await readyz(replica)).ready, { timeoutMs: 30_000 });
    console.log(`all replicas ready again ${Date.now() - upAt} ms after etcd came back`);
    const status = await cluster.waitBalanced(30_000);
    expect(status.unowned).toBe(0);

    const complete = (d: ReturnType<typeof cluster.deliveries>) =>
      names.every((n) => new Set(d.filter((x) => x.job === n).map((x) => x.scheduledAt)).size === ticks);
    await cluster.waitFor(complete, 120_000, `all ${jobs * ticks} ticks`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const deliveries = cluster.deliveries().filter((d) => d.job.startsWith('er-'));
    expect(deliveries.filter((d) => d.receivedAt < d.scheduledAt)).toEqual([]);
    const dups = duplicates(deliveries);
    console.log(`duplicates around the etcd restart: ${dups.length}`, JSON.stringify(dups.slice(0, 20)));
    // Repeats, if any, are ticks that were in hand while etcd was away, at most one per job.
    expect(dups.length).toBeLessThanOrEqual(jobs);

    // And the cluster still takes new work.
    await cluster.schedule('after-restart', { dueTime: '1s' }, cluster.live()[2]);
    await cluster.waitFor((d) => d.some((x) => x.job === 'after-restart'), 30_000, 'a job scheduled after the restart');
  });

  it('a replica started while etcd is down waits for it, then joins', async () => {
    await cluster.etcd.down();
    const joining = cluster.addReplica();
    let joined = false;
    void joining.then(() => (joined = true), () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(joined).toBe(false);
    await cluster.etcd.up();
    const replica = await joining;
    const status = await cluster.waitBalanced(60_000);
    expect(status.members.map((m) => m.id)).toContain(replica.memberId);
  });
});
