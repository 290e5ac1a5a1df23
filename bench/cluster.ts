// Cluster figures on one real etcd (Debian's etcd-server, started here on free loopback ports):
// scheduling and trigger throughput with 1 and 3 replicas, and failover time after kill -9.
//   npx tsx bench/cluster.ts [jobs=3000] [replica counts=1,3] [failover|no-failover]
// Prints one JSON document on stdout (progress goes to stderr). Nothing is asserted.
//
// - schedule: POST /v1.0-alpha1/jobs/{name} for `jobs` one-shot jobs due in an hour, 64 requests
//   in flight, spread over the replicas; jobs per second until the last answer.
// - trigger: `jobs` one-shot jobs all due at the same instant T; deliveries per second from T to
//   the last delivery, and lateness (received - scheduled) percentiles, at the receiving app.
// - failover (3 replicas): 150 jobs on a 1 s schedule; one replica killed with SIGKILL; for each
//   of its jobs, the time from the kill to its first delivery by a survivor. Lease TTL 5 s (default).

import { Agent } from 'undici';
import { ClusterHarness, duplicates } from '../src/testing/cluster-harness.js';

const JOBS = Number(process.argv[2] ?? 3_000);
const REPLICA_COUNTS = (process.argv[3] ?? '1,3').split(',').map(Number);
const FAILOVER = process.argv[4] !== 'no-failover';
const CONCURRENCY = 64;
const agent = new Agent({ connections: CONCURRENCY });

const log = (message: string): void => void process.stderr.write(`[bench:cluster] ${message}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function post(url: string, body: unknown): Promise<void> {
  const response = await agent.request({ origin: new URL(url).origin, path: new URL(url).pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.body.dump();
  if (response.statusCode !== 204) throw new Error(`POST ${url}: HTTP ${response.statusCode}`);
}

/** Runs `count` tasks with at most CONCURRENCY in flight. */
async function pool(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function throughput(replicas: number): Promise<Record<string, unknown>> {
  const cluster = new ClusterHarness({ replicas });
  try {
    await cluster.start();
    await cluster.waitBalanced();
    const urls = cluster.live().map((r) => r.url);
    log(`${replicas} replica(s) up`);

    // Scheduling throughput.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    let t0 = performance.now();
    await pool(JOBS, (i) => post(`${urls[i % urls.length]}/v1.0-alpha1/jobs/later-${i}`, { dueTime: later, data: { i } }));
    const scheduleSeconds = (performance.now() - t0) / 1000;
    log(`${replicas} replica(s): scheduled ${JOBS} in ${scheduleSeconds.toFixed(2)} s`);

    // Trigger throughput: a burst all due at one instant, far enough ahead to be scheduled first.
    const due = Date.now() + 15_000 + JOBS * 2;
    t0 = performance.now();
    await pool(JOBS, (i) => post(`${urls[i % urls.length]}/v1.0-alpha1/jobs/burst-${i}`, { dueTime: new Date(due).toISOString() }));
    log(`${replicas} replica(s): burst scheduled in ${((performance.now() - t0) / 1000).toFixed(2)} s; due in ${due - Date.now()} ms`);
    // Counting requests only: the receiver shares the machine with the replicas.
    await cluster.receiver.waitFor(() => cluster.receiver.received.length >= JOBS, 180_000 + (due - Date.now()), `${JOBS} burst deliveries`);
    const burst = cluster.deliveries().filter((d) => d.job.startsWith('burst-'));
    const last = Math.max(...burst.map((d) => d.receivedAt));
    const lateness = burst.map((d) => d.receivedAt - d.scheduledAt).sort((a, b) => a - b);
    const perReplica: Record<string, number> = {};
    for (const d of burst) perReplica[d.replica] = (perReplica[d.replica] ?? 0) + 1;
    return {
      replicas,
      jobs: JOBS,
      schedulePerSecond: Math.round(JOBS / scheduleSeconds),
      triggerPerSecond: Math.round(JOBS / Math.max(0.001, (last - due) / 1000)),
      burstDrainMs: last - due,
      latenessMs: { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness[lateness.length - 1] },
      deliveriesPerReplica: perReplica,
      duplicates: duplicates(burst).length,
      // replica#attempt@receivedAt of each delivery of a repeated tick: attempt 2+ is a retry after
      // a failed attempt (at least once), attempt 1 twice would be two replicas or a stale reload.
      duplicateSamples: duplicates(burst).slice(0, 5),
    };
  } finally {
    await cluster.stop();
  }
}

async function failover(): Promise<Record<string, unknown>> {
  const cluster = new ClusterHarness({ replicas: 3, leaseTtl: '5s' });
  try {
    await cluster.start();
    await cluster.waitBalanced();
    const names = Array.from({ length: 150 }, (_, i) => `fo-${i}`);
    await Promise.all(names.map((name, i) => cluster.schedule(name, { schedule: '@every 1s', dueTime: '2s', repeats: 40 }, cluster.live()[i % 3])));
    await cluster.waitFor((d) => d.length >= names.length * 3, 60_000, 'three ticks of every job');
    const owners = await cluster.owners();
    const victim = cluster.live()[0]!;
    const victimJobs = names.filter((n) => owners.get(cluster.partitionOfJob(n)) === victim.name);
    const killedAt = Date.now();
    await cluster.kill(victim);
    log(`killed ${victim.name} (${victimJobs.length} jobs)`);
    await cluster.waitFor(
      (d) => victimJobs.every((n) => d.some((x) => x.job === n && x.replica !== victim.name && x.receivedAt >= killedAt)),
      60_000,
      'every job of the victim to fire elsewhere',
    );
    const resumed = victimJobs
      .map((n) => Math.min(...cluster.deliveries().filter((x) => x.job === n && x.replica !== victim.name && x.receivedAt >= killedAt).map((x) => x.receivedAt)) - killedAt)
      .sort((a, b) => a - b);
    const taken = await cluster.waitBalanced(30_000);
    return {
      replicas: 3,
      leaseTtlMs: 5_000,
      victimJobs: victimJobs.length,
      firstDeliveryElsewhereMs: { min: resumed[0], p50: percentile(resumed, 50), max: resumed[resumed.length - 1] },
      sharesAfter: taken.members.map((m) => m.partitions.length),
      duplicates: duplicates(cluster.deliveries()).length,
    };
  } finally {
    await cluster.stop();
  }
}

const results = {
  bench: 'cluster',
  date: new Date().toISOString(),
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  runs: await REPLICA_COUNTS.reduce<Promise<Array<Record<string, unknown>>>>(async (done, n) => [...(await done), await throughput(n)], Promise.resolve([])),
  ...(FAILOVER ? { failover: await failover() } : {}),
};
await agent.close();
console.log(JSON.stringify(results, null, 2));
