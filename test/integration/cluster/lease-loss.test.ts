// A replica that loses its lease while its process lives on. The promise under test is the
// cluster's "each job fires on one replica": such a replica must not fire any job after another
// replica has taken its partitions over.
//
// Cut off from etcd (a network partition), made with a TCP relay between that replica and etcd
// that stops passing anything (src/testing/servers/tcp-proxy.ts), so its calls and keep-alives
// hang rather than fail: it must stop firing before its lease can expire in etcd. Then the
// partition heals: the replica, whose lease expired meanwhile, registers again under a new lease
// and fires its share; no tick is lost, none is early, and the only repeats are ticks it had
// delivered around the cut without being able to record them.
//
// Frozen (SIGSTOP) for longer than its lease, as a long pause or a starved process is: when it
// runs again its overdue timers fire in the order they were due, the engine's for the jobs due
// meanwhile before the lease's own check, and the others have fired those jobs already. It must
// fire none of them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterHarness, duplicates, type Delivery, type Replica } from '../../../src/testing/cluster-harness.js';
import { waitUntil } from '../../../src/testing/servers/probe.js';
import { startTcpProxy, type TcpProxy } from '../../../src/testing/servers/tcp-proxy.js';

const LEASE_TTL_MS = 3_000;

async function ready(replica: Replica): Promise<boolean> {
  const response = await fetch(`${replica.url}/readyz`);
  await response.arrayBuffer();
  return response.ok;
}

/** The receive time in a duplicates() entry ("replica-N#attempt@receivedAt"). */
const receivedAtOf = (entry: string): number => Number(entry.slice(entry.lastIndexOf('@') + 1));

describe('cluster: a replica that loses its lease while alive', () => {
  const cluster = new ClusterHarness({ replicas: 2, leaseTtl: `${LEASE_TTL_MS / 1000}s` });
  let proxy: TcpProxy;
  let cut: Replica;

  beforeAll(async () => {
    await cluster.start();
    proxy = await startTcpProxy(cluster.etcd.port);
    cut = await cluster.addReplica({ store: `etcd://127.0.0.1:${proxy.port}` });
    await cluster.waitBalanced();
  }, 180_000);

  afterAll(async () => {
    proxy?.heal();
    await cluster.stop();
    await proxy?.stop();
  }, 60_000);

  it('cut off from etcd: stops firing before another replica takes its jobs, rejoins when the partition heals, and loses nothing', async () => {
    const jobs = 90;
    const ticks = 20;
    const names = await cluster.scheduleRecurring('pt-', jobs, ticks);
    const ours = (d: Delivery[]): Delivery[] => d.filter((x) => x.job.startsWith('pt-'));
    await cluster.waitFor((d) => ours(d).length >= jobs * 3, 60_000, 'three ticks of every job');
    const itsJobs = new Set(ours(cluster.deliveries()).filter((d) => d.replica === cut.name).map((d) => d.job));
    expect(itsJobs.size).toBeGreaterThan(0);

    // A recurring job's next tick waits for its last outcome to be recorded, which hangs on the cut
    // replica from the cut on, so those stop by themselves. One-shot jobs in its partitions, due
    // one after another from just after the cut until after the takeover, need no earlier record:
    // only its lease check stops it from firing them.
    const owners = await cluster.owners();
    const oneShots: string[] = [];
    for (let i = 0; oneShots.length < 40; i++) {
      const name = `pt-once-${String(i).padStart(3, '0')}`;
      if (owners.get(cluster.partitionOfJob(name)) === cut.name) oneShots.push(name);
    }
    const plannedCut = Date.now() + 1_500;
    await Promise.all(oneShots.map((name, i) => cluster.schedule(name, { dueTime: new Date(plannedCut + 200 + i * 100).toISOString() }, cluster.live()[0])));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, plannedCut - Date.now())));

    const cutAt = Date.now();
    proxy.cutOff();
    await waitUntil(`${cut.name} to stop reporting ready`, async () => !(await ready(cut)), { timeoutMs: 15_000 });
    // The others take its jobs over once its lease has expired in etcd.
    const taken = [...itsJobs, ...oneShots];
    await cluster.waitFor(
      (d) => taken.every((job) => d.some((x) => x.job === job && x.replica !== cut.name && x.receivedAt > cutAt)),
      30_000,
      `the other replicas firing the ${taken.length} jobs of ${cut.name}`,
    );
    const after = ours(cluster.deliveries()).filter((d) => d.receivedAt > cutAt);
    const byCut = after.filter((d) => d.replica === cut.name);
    const lastByCut = byCut.length > 0 ? Math.max(...byCut.map((d) => d.receivedAt)) : cutAt;
    const firstTakeover = Math.min(...after.filter((d) => taken.includes(d.job) && d.replica !== cut.name).map((d) => d.receivedAt));
    const oneShotsByCut = byCut.filter((d) => d.job.startsWith('pt-once-')).length;
    console.log(
      `partition: ${cut.name} delivered ${byCut.length} ticks after the cut (${oneShotsByCut} of the ${oneShots.length} one-shots), the last ${lastByCut - cutAt} ms after it; ` +
        `the others fired its jobs from ${firstTakeover - cutAt} ms after the cut (lease TTL ${LEASE_TTL_MS} ms)`,
    );
    // One replica at a time: the cut-off one had stopped before any other fired its jobs, and it
    // stopped within its lease (a margin before it, so etcd could not yet give its partitions away).
    expect(lastByCut).toBeLessThan(firstTakeover);
    expect(lastByCut - cutAt).toBeLessThan(LEASE_TTL_MS);
    // It fired the one-shots due before its lease fell in doubt, and said when it stopped.
    expect(oneShotsByCut).toBeGreaterThan(0);
    expect(cluster.logLines(cut).some((line) => line.msg === 'cluster lease in doubt: no longer firing its partitions' && line.time > cutAt)).toBe(true);

    proxy.heal();
    const healedAt = Date.now();
    // Its lease expired while it was cut off: etcd answers its next keep-alive so, and it
    // registers again under a new lease (the same member id).
    const registrations = (): number => cluster.logLines(cut).filter((line) => line.msg === 'registered in the cluster').length;
    await waitUntil(`${cut.name} to register again`, async () => registrations() >= 2, { timeoutMs: 30_000 });
    await waitUntil(`${cut.name} to be ready again`, () => ready(cut), { timeoutMs: 30_000 });
    const balanced = await cluster.waitBalanced(60_000);
    expect(balanced.members.map((m) => m.id)).toContain(cut.memberId);
    const rejoinedAt = Date.now();
    console.log(`partition healed: ${cut.name} ready and the cluster balanced ${rejoinedAt - healedAt} ms later`);

    const complete = (d: Delivery[]): boolean => names.every((n) => new Set(d.filter((x) => x.job === n).map((x) => x.scheduledAt)).size === ticks);
    await cluster.waitFor(complete, 120_000, `all ${jobs * ticks} ticks`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const deliveries = ours(cluster.deliveries());
    expect(deliveries.filter((d) => d.receivedAt < d.scheduledAt)).toEqual([]);
    // It fires its share again.
    expect(deliveries.some((d) => d.replica === cut.name && d.receivedAt > rejoinedAt)).toBe(true);
    // Repeats are ticks the cut-off replica delivered around the cut and could not record: the
    // owner after it fired them again. None from anywhere else.
    const dups = duplicates(deliveries);
    console.log(`repeats: ${dups.length}`, JSON.stringify(dups.slice(0, 10)));
    for (const dup of dups) {
      const aroundTheCut = dup.replicas.some((r) => r.startsWith(`${cut.name}#`) && receivedAtOf(r) > cutAt - LEASE_TTL_MS && receivedAtOf(r) <= lastByCut);
      expect(aroundTheCut, JSON.stringify(dup)).toBe(true);
    }
    expect(dups.length).toBeLessThanOrEqual(itsJobs.size + oneShotsByCut);
    // Every one-shot fired.
    expect(oneShots.filter((name) => !deliveries.some((d) => d.job === name))).toEqual([]);
  }, 240_000);

  it('frozen longer than its lease: fires none of the jobs the others took over meanwhile', async () => {
    const frozen = cluster.live().find((r) => r !== cut)!;
    const owners = await cluster.owners();
    const oneShots: string[] = [];
    for (let i = 0; oneShots.length < 40; i++) {
      const name = `st-once-${String(i).padStart(3, '0')}`;
      if (owners.get(cluster.partitionOfJob(name)) === frozen.name) oneShots.push(name);
    }
    const via = cluster.live().find((r) => r !== frozen)!;
    const plannedStop = Date.now() + 1_500;
    // Due one after another from just after the freeze until after the others have taken over.
    await Promise.all(oneShots.map((name, i) => cluster.schedule(name, { dueTime: new Date(plannedStop + 300 + i * 100).toISOString() }, via)));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, plannedStop - Date.now())));

    const pid = frozen.process.pid!;
    const stoppedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    let resumedAt: number;
    try {
      // Longer than the lease: etcd expires it and the others take the partitions and fire the jobs.
      await cluster.waitFor(
        (d) => d.filter((x) => x.job.startsWith('st-once-') && x.replica !== frozen.name).length >= 20,
        30_000,
        'the other replicas firing the frozen one\'s jobs',
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, stoppedAt + LEASE_TTL_MS + 2_000 - Date.now())));
    } finally {
      resumedAt = Date.now();
      process.kill(pid, 'SIGCONT');
    }
    const mine = (d: Delivery[]): Delivery[] => d.filter((x) => x.job.startsWith('st-once-'));
    await cluster.waitFor((d) => oneShots.every((name) => mine(d).some((x) => x.job === name)), 30_000, 'every one-shot');
    // Long enough for anything the woken replica dispatched to arrive.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const deliveries = mine(cluster.deliveries());
    const byFrozen = deliveries.filter((d) => d.replica === frozen.name);
    console.log(
      `freeze: ${frozen.name} stopped for ${resumedAt - stoppedAt} ms (lease TTL ${LEASE_TTL_MS} ms); ` +
        `the others fired ${deliveries.length - byFrozen.length} of its ${oneShots.length} one-shots, it fired ${byFrozen.length} after waking`,
    );
    expect(byFrozen.map((d) => `${d.job}@${d.receivedAt - resumedAt}ms after waking`)).toEqual([]);
    expect(deliveries.filter((d) => d.receivedAt < d.scheduledAt)).toEqual([]);
    expect(duplicates(deliveries)).toEqual([]);
    // It comes back: registered again under a new lease, and the cluster balances.
    await waitUntil(`${frozen.name} to be ready again`, () => ready(frozen), { timeoutMs: 30_000 });
    await cluster.waitBalanced(60_000);
  }, 120_000);
  it('frozen for about its deadline: whether the lease fell in doubt, was kept or expired, every job fires once', async () => {
    // A freeze a little shorter than the TTL ends before, at or after the lease's deadline and
    // etcd's expiry, depending on when the last keep-alive went out (every TTL/3; the deadline is
    // TTL/5 before the TTL). Past the deadline the replica stops when it wakes and forgets what it
    // had queued; a keep-alive answered then gives it its partitions back, reloaded from etcd, an
    // expired lease makes it register again and the new owners fire them. Each way, nothing may be
    // lost, fired twice or early. Three rounds, so that more than one way is likely taken.
    const frozen = cluster.live().find((r) => r !== cut)!;
    const via = cluster.live().find((r) => r !== frozen)!;
    const paths: string[] = [];
    for (let round = 0; round < 3; round++) {
      await cluster.waitBalanced(60_000);
      const owners = await cluster.owners();
      const prefix = `sf${round}-`;
      const oneShots: string[] = [];
      for (let i = 0; oneShots.length < 20; i++) {
        const name = `${prefix}${String(i).padStart(3, '0')}`;
        if (owners.get(cluster.partitionOfJob(name)) === frozen.name) oneShots.push(name);
      }
      const plannedStop = Date.now() + 1_000;
      await Promise.all(oneShots.map((name, i) => cluster.schedule(name, { dueTime: new Date(plannedStop + 200 + i * 100).toISOString() }, via)));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, plannedStop - Date.now())));
      const linesBefore = cluster.logLines(frozen).length;
      const pid = frozen.process.pid!;
      process.kill(pid, 'SIGSTOP');
      try {
        await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS - 800));
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const mine = (d: Delivery[]): Delivery[] => d.filter((x) => x.job.startsWith(prefix));
      await cluster.waitFor((d) => oneShots.every((name) => mine(d).some((x) => x.job === name)), 30_000, `every one-shot of round ${round}`);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const deliveries = mine(cluster.deliveries());
      const said = cluster.logLines(frozen).slice(linesBefore).map((line) => line.msg);
      const path = said.includes('cluster lease confirmed again: partitions reclaimed')
        ? 'in doubt, reclaimed'
        : said.includes('registered in the cluster')
          ? 'expired, registered again'
          : said.includes('cluster lease in doubt: no longer firing its partitions')
            ? 'in doubt'
            : 'never in doubt';
      paths.push(`${path} (${deliveries.filter((d) => d.replica === frozen.name).length}/${oneShots.length} by it)`);
      expect(deliveries.filter((d) => d.receivedAt < d.scheduledAt)).toEqual([]);
      expect(duplicates(deliveries)).toEqual([]);
      expect(new Set(deliveries.map((d) => d.job)).size).toBe(oneShots.length);
      await waitUntil(`${frozen.name} to be ready again`, () => ready(frozen), { timeoutMs: 30_000 });
    }
    console.log(`freezes of ${LEASE_TTL_MS - 800} ms: ${paths.join('; ')}`);
  }, 180_000);
});
