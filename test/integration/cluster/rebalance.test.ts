// A fourth replica joins three busy ones: partitions move to it by graceful hand-over (the old
// owner lets its deliveries in flight finish and commit, then deletes the owner key), while
// every partition that does not move keeps firing on time. A sidecar watching the hosts of a
// replica that stays (WatchHosts) hears of every change of membership.

import type { Client, ClientReadableStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterHarness, duplicates } from '../../../src/testing/cluster-harness.js';
import { daprSchedulerClient } from '../grpc/helpers.js';

type HostsMessage = { hosts: Array<{ address: string }> };

describe('cluster: a replica joins', () => {
  const cluster = new ClusterHarness({ replicas: 3 });

  // WatchHosts on replica-3, which neither joins nor leaves during these tests.
  let scheduler: Client | undefined;
  let watch: ClientReadableStream<HostsMessage> | undefined;
  const announced: string[][] = [];
  const schedulerAddresses = async () => (await cluster.status()).members.map((m) => m.schedulerAddress ?? '?').sort();

  beforeAll(async () => {
    await cluster.start();
    await cluster.waitBalanced();
    const watched = (await cluster.status(cluster.live()[2]!.url)).members.find((m) => m.self)!;
    scheduler = daprSchedulerClient(Number(watched.schedulerAddress!.split(':').pop()));
    watch = (scheduler as unknown as { WatchHosts(req: object): ClientReadableStream<HostsMessage> }).WatchHosts({});
    watch.on('data', (message: HostsMessage) => announced.push(message.hosts.map((h) => h.address).sort()));
    watch.on('error', () => undefined); // cancelled at the end
  }, 180_000);

  afterAll(async () => {
    watch?.cancel();
    scheduler?.close();
    await cluster.stop();
  }, 60_000);

  it('rebalances to 4 while the unmoved partitions keep firing on time, losing and repeating nothing', async () => {
    const jobs = 200;
    // Ticks enough to run well past the rebalance: it starts after the second tick (~5 s in) and
    // balances in under a second after the newcomer registers (~2 s to start), so 14 ticks
    // (to ~17 s) still leave several seconds of ticks after balancedAt + 2 s from the new owners.
    // (20 ticks only added six seconds of steady firing after that.)
    const ticks = 14;
    const names = await cluster.scheduleRecurring('rb-', jobs, ticks);
    await cluster.waitFor((d) => d.filter((x) => x.job.startsWith('rb-')).length >= jobs * 2, 60_000, 'two ticks of every job');
    const before = await cluster.owners();

    const spawnedAt = Date.now();
    const newcomer = await cluster.addReplica();
    const status = await cluster.waitBalanced();
    const balancedAt = Date.now();
    // The rebalance starts when the newcomer registers (its start-up before that is only CPU).
    const joinStarted = cluster.logLines(newcomer).find((l) => l.msg === 'registered in the cluster')?.time ?? spawnedAt;
    const after = await cluster.owners();
    const moved = [...after].filter(([p, owner]) => before.get(p) !== owner).map(([p]) => p);
    console.log(`${newcomer.name} joined: ${moved.length} partitions moved; shares now`, status.members.map((m) => m.partitions.length), `(balanced ${balancedAt - joinStarted} ms after it registered)`);
    expect(after.size).toBe(256);
    expect([...after.values()].filter((o) => o === newcomer.name).length).toBeGreaterThanOrEqual(62);
    // Little more than what the newcomer takes moves (64 is the least possible; the assignment
    // keeps everyone else's first choices but for a few capacity knock-ons).
    expect(moved.filter((p) => after.get(p) !== newcomer.name).length).toBeLessThanOrEqual(12);

    // The hand-over as the replicas logged it, relative to the newcomer's registration.
    for (const r of cluster.replicas) {
      for (const line of cluster.logLines(r).filter((l) => /took|handed|doubt|lost|reclaimed|registered/.test(l.msg) && l.time >= joinStarted - 1_000)) {
        console.log(`  ${r.name} +${line.time - joinStarted} ms ${line.msg}${line.partitions !== undefined ? ` (${String(line.partitions)})` : ''}`);
      }
    }

    const expected = jobs * ticks;
    const complete = (d: ReturnType<typeof cluster.deliveries>) =>
      names.every((n) => new Set(d.filter((x) => x.job === n).map((x) => x.scheduledAt)).size === ticks);
    await cluster.waitFor(complete, 120_000, `all ${expected} ticks`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const deliveries = cluster.deliveries().filter((d) => d.job.startsWith('rb-'));

    const missing = names.filter((n) => new Set(deliveries.filter((d) => d.job === n).map((d) => d.scheduledAt)).size !== ticks);
    expect(missing).toEqual([]);
    expect(deliveries.filter((d) => d.receivedAt < d.scheduledAt)).toEqual([]);
    const dups = duplicates(deliveries);
    console.log(`duplicates during the rebalance: ${dups.length} (join registered at ${joinStarted}, balanced at ${balancedAt})`, JSON.stringify(dups.slice(0, 20)));
    expect(dups).toEqual([]);

    // Lateness while the cluster rebalanced, for jobs whose partition stayed put and for those that moved.
    const movedSet = new Set(moved);
    const window = deliveries.filter((d) => d.scheduledAt >= joinStarted && d.scheduledAt <= balancedAt + 2_000);
    const lateness = (list: typeof window) => list.map((d) => d.receivedAt - d.scheduledAt).sort((a, b) => a - b);
    const unmoved = lateness(window.filter((d) => !movedSet.has(cluster.partitionOfJob(d.job))));
    const movedLate = lateness(window.filter((d) => movedSet.has(cluster.partitionOfJob(d.job))));
    const pct = (list: number[], q: number) => list[Math.min(list.length - 1, Math.floor(list.length * q))];
    console.log(`lateness during the rebalance, unmoved partitions: n=${unmoved.length} p50 ${pct(unmoved, 0.5)} ms p99 ${pct(unmoved, 0.99)} ms max ${pct(unmoved, 1)} ms`);
    console.log(`lateness during the rebalance, moved partitions:   n=${movedLate.length} p50 ${pct(movedLate, 0.5)} ms p99 ${pct(movedLate, 0.99)} ms max ${pct(movedLate, 1)} ms`);
    expect(unmoved.length).toBeGreaterThan(100);
    // Unmoved partitions never paused: most of their ticks were on time, and none of their jobs
    // went without a delivery for long. (Generous bounds: two cores shared with other test runs;
    // the occasional multi-second stall hits every process alike.)
    expect(pct(unmoved, 0.9)).toBeLessThan(1_500);
    const gaps = (list: typeof window) => {
      const byJob = new Map<string, number[]>();
      for (const d of list) byJob.set(d.job, [...(byJob.get(d.job) ?? []), d.receivedAt]);
      return [...byJob.values()].map((times) => Math.max(0, ...times.sort((a, b) => a - b).map((t, i) => (i === 0 ? 0 : t - times[i - 1]!))));
    };
    const unmovedGap = Math.max(...gaps(window.filter((d) => !movedSet.has(cluster.partitionOfJob(d.job)))));
    const movedGap = Math.max(...gaps(window.filter((d) => movedSet.has(cluster.partitionOfJob(d.job)))));
    console.log(`longest gap between two deliveries of one job (1 s schedule): unmoved ${unmovedGap} ms, moved ${movedGap} ms`);
    expect(unmovedGap).toBeLessThan(4_000);
    // Ticks after the move came from the new owner.
    const lastTicks = deliveries.filter((d) => d.scheduledAt > balancedAt + 2_000);
    expect(lastTicks.length).toBeGreaterThan(0); // the ticks ran on past the move (else the loop below shows nothing)
    for (const d of lastTicks) expect(d.replica).toBe(after.get(cluster.partitionOfJob(d.job)));
  });

  it('a replica stopped gracefully hands its partitions over at once', async () => {
    const leaving = cluster.live()[0]!;
    const names = Array.from({ length: 60 }, (_, i) => `gs-${String(i).padStart(2, '0')}`);
    // 9 ticks (2 s to 10 s): the stop comes after the second (~3 s), and the hand-over, bounded at
    // 5 s below and well under a second in practice, leaves ticks after it even at that bound.
    const ticks = 9;
    await Promise.all(names.map((name) => cluster.schedule(name, { schedule: '@every 1s', dueTime: '2s', repeats: ticks }, cluster.live()[1])));
    await cluster.waitFor((d) => d.filter((x) => x.job.startsWith('gs-')).length >= 60 * 2, 60_000, 'two ticks of every job');
    const stoppedAt = Date.now();
    await cluster.stopReplica(leaving);
    const status = await cluster.waitBalanced(30_000);
    const tookMs = Date.now() - stoppedAt;
    console.log(`${leaving.name} stopped: partitions all owned again ${tookMs} ms after SIGTERM, shares`, status.members.map((m) => m.partitions.length));
    // Well under the 5 s lease TTL: nobody waited for an expiry.
    expect(tookMs).toBeLessThan(5_000);
    const complete = (d: ReturnType<typeof cluster.deliveries>) =>
      names.every((n) => new Set(d.filter((x) => x.job === n).map((x) => x.scheduledAt)).size === ticks);
    await cluster.waitFor(complete, 60_000, 'every tick of every job');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const deliveries = cluster.deliveries().filter((d) => d.job.startsWith('gs-'));
    expect(names.filter((n) => new Set(deliveries.filter((d) => d.job === n).map((d) => d.scheduledAt)).size !== ticks)).toEqual([]);
    const dups = duplicates(deliveries);
    console.log(
      `duplicates around the graceful stop: ${dups.length}`,
      JSON.stringify(dups.slice(0, 10).map((d) => ({ ...d, scheduledAt: d.scheduledAt - stoppedAt, received: deliveries.filter((x) => x.job === d.job && x.scheduledAt === d.scheduledAt).map((x) => [x.replica, x.receivedAt - stoppedAt]) }))),
    );
    expect(dups).toEqual([]);
  });

  it('WatchHosts announced the three replicas, then four on the join, then three after the stop', async () => {
    const now = await schedulerAddresses();
    await expect.poll(() => announced.at(-1), { timeout: 10_000 }).toEqual(now);
    console.log('WatchHosts on replica-3 announced:', JSON.stringify(announced));
    expect(announced.map((hosts) => hosts.length)).toEqual([3, 4, 3]);
    expect(new Set(announced.flat()).size).toBe(4); // every replica has its own scheduler address
  });
});
