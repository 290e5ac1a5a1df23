// Cluster figures on one real etcd (Debian's etcd-server, started here on free loopback ports),
// the two cluster rows of issue 12's table, each with its ratio or bound, and what etcd did for
// them:
//   npx tsx bench/cluster.ts [--jobs 10000] [--replicas 3] [--duration 10] [--rounds 3] [--no-failover]
// Prints one JSON document on stdout (progress goes to stderr). Nothing is asserted.
//
// - scheduling: wrk, 64 connections, 2 threads, bench/wrk/schedule-jobs.lua (the shape of
//   bench/scheduling-throughput.ts: each request a new job due in 2030) against one replica on
//   etcd and against one server on the embedded SQLite store, in alternating rounds of the same
//   run, both started the same way (from source with tsx, quotas off); ratio = etcd / SQLite in
//   the round with the median etcd rate.
// - burst: `jobs` one-shot jobs all due at one instant T, scheduled through `replicas` replicas
//   (64 requests in flight, round-robin); drain = last delivery at the app - T.
// - etcd operations per schedule (1 replica, the wrk runs; and `replicas` replicas, the burst's
//   scheduling) and per trigger (the burst from T to its last commit), from etcd's own /metrics
//   (bench/lib/etcd-ops.ts): requests, puts, deletes, ranges, watch events (summed over the
//   replicas watching), fsyncs, etcd CPU; plus each Duetime process's CPU from /proc.
// - failover (3 replicas): 150 jobs on a 1 s schedule; one replica killed with SIGKILL; for each
//   of its jobs, the time from the kill to its first delivery by a survivor. Lease TTL 5 s.

import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { ClusterHarness, duplicates } from '../src/testing/cluster-harness.js';
import { freePort } from '../src/testing/servers/free-port.js';
import { ManagedProcess } from '../src/testing/servers/managed-process.js';
import { makeTempDir } from '../src/testing/servers/temp-dir.js';
import { waitUntil } from '../src/testing/servers/probe.js';
import { opsPer, readEtcdOps } from './lib/etcd-ops.js';
import { cpuMicrosPer, cpuSeconds } from './lib/proc-cpu.js';
import { Scope } from './lib/processes.js';
import { count2xx, runWrk } from './lib/wrk.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '10000' },
    replicas: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    'no-failover': { type: 'boolean', default: false },
    'no-scheduling': { type: 'boolean', default: false },
    'no-burst': { type: 'boolean', default: false },
  },
});
const JOBS = Number(args.jobs);
const REPLICAS = Number(args.replicas);
const DURATION_S = Number(args.duration);
const ROUNDS = Math.max(1, Number(args.rounds));
const CONCURRENCY = 64;
// The bench measures the store and the cluster, not the per-app quotas (one app sends it all).
const QUOTAS_OFF = ['--max-jobs-per-app', '0', '--schedule-rate-per-app', '0'];
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const agent = new Agent({ connections: CONCURRENCY });
const work = makeTempDir('bench-cluster');

const log = (message: string): void => void process.stderr.write(`[bench:cluster] ${new Date().toISOString().slice(11, 23)} ${message}\n`);

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

/** A Duetime on the embedded SQLite store, started as the cluster harness starts its replicas (tsx, from source). */
async function startSqliteServer(appUrl: string): Promise<{ url: string; process: ManagedProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = join(work.path, 'sqlite-data');
  mkdirSync(dataDir, { recursive: true });
  const process = new ManagedProcess({
    command: globalThis.process.execPath,
    // prettier-ignore
    args: ['--import', 'tsx', CLI, 'serve', '--port', String(port), '--grpc-port', '0', '--scheduler-port', '0', '--data-dir', dataDir, '--app-url', appUrl, ...QUOTAS_OFF],
    cwd: ROOT,
    logFile: join(work.path, 'sqlite.log'),
  });
  await waitUntil('sqlite server ready', async () => (await fetch(`${url}/readyz`)).ok, { timeoutMs: 90_000, intervalMs: 100, abort: () => process.exitReason() });
  return { url, process };
}

interface WrkRun {
  perS: number;
  success: number;
  failures: number;
  latencyMs: { p50: number; p99: number };
  /** CPU of the Duetime process per 2xx answer. */
  serverCpuMicros: number;
}

async function wrkRun(scope: Scope, name: string, url: string, pid: number | undefined, durationS: number, prefix: string): Promise<WrkRun> {
  const before = cpuSeconds(pid);
  const run = await runWrk(scope, name, { url, threads: 2, connections: CONCURRENCY, durationS, prefix });
  const success = count2xx(run);
  const errors = run.errors.connect + run.errors.read + run.errors.write + run.errors.timeout;
  return {
    perS: Math.round(success / (run.durationUs / 1e6)),
    success,
    failures: run.responses - success + errors,
    latencyMs: { p50: run.latencyUs.p50 / 1000, p99: run.latencyUs.p99 / 1000 },
    serverCpuMicros: cpuMicrosPer(before, cpuSeconds(pid), success),
  };
}

async function scheduling(): Promise<Record<string, unknown>> {
  const cluster = new ClusterHarness({ replicas: 1, args: QUOTAS_OFF });
  const scope = new Scope(work.path);
  let sqlite: { url: string; process: ManagedProcess } | undefined;
  try {
    await cluster.start();
    await cluster.waitBalanced();
    sqlite = await startSqliteServer(`${cluster.receiver.url}/sqlite`);
    const replica = cluster.live()[0]!;
    log('scheduling: 1 replica on etcd and one SQLite server up');
    await wrkRun(scope, 'warm-sqlite', sqlite.url, sqlite.process.pid, 2, 'warm');
    await wrkRun(scope, 'warm-etcd', replica.url, replica.process.pid, 2, 'warm');
    const rounds: Array<{ sqlite: WrkRun; etcd: WrkRun; ratio: number; etcdOpsPerSchedule: ReturnType<typeof opsPer>; load: number }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const sqliteRun = await wrkRun(scope, `sqlite-r${round}`, sqlite.url, sqlite.process.pid, DURATION_S, `r${round}`);
      const before = await readEtcdOps(cluster.etcd.url);
      const etcdRun = await wrkRun(scope, `etcd-r${round}`, replica.url, replica.process.pid, DURATION_S, `r${round}`);
      // Commits answered are done; the watch may still be sending their events: let it finish.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = await readEtcdOps(cluster.etcd.url);
      const ratio = Math.round((etcdRun.perS / sqliteRun.perS) * 1000) / 1000;
      rounds.push({ sqlite: sqliteRun, etcd: etcdRun, ratio, etcdOpsPerSchedule: opsPer(before, after, etcdRun.success), load: os.loadavg()[0]! });
      log(`scheduling round ${round}: etcd ${etcdRun.perS}/s, sqlite ${sqliteRun.perS}/s, ratio ${ratio}`);
    }
    const median = [...rounds].sort((a, b) => a.etcd.perS - b.etcd.perS)[Math.floor((rounds.length - 1) / 2)]!;
    return {
      wrk: `wrk -t2 -c${CONCURRENCY} -d${DURATION_S}s -s bench/wrk/schedule-jobs.lua`,
      etcdPerS: median.etcd.perS,
      sqlitePerS: median.sqlite.perS,
      ratio: median.ratio,
      etcdOpsPerSchedule: median.etcdOpsPerSchedule,
      rounds,
    };
  } finally {
    await scope.close();
    await sqlite?.process.stop('SIGTERM', 10_000);
    await cluster.stop();
  }
}

async function burst(): Promise<Record<string, unknown>> {
  const cluster = new ClusterHarness({ replicas: REPLICAS, args: QUOTAS_OFF });
  try {
    await cluster.start();
    await cluster.waitBalanced();
    const replicas = cluster.live();
    const urls = replicas.map((r) => r.url);
    const pids = replicas.map((r) => r.process.pid);
    log(`burst: ${REPLICAS} replica(s) up`);
    // Far enough ahead to be scheduled first (checked below): twice the time a probe's rate
    // says scheduling them takes, plus 5 s. (Jobs due beyond the 20 s look-ahead are loaded by
    // a refill before they are due, so the lead may be anything.)
    const probe = Math.min(500, Math.ceil(JOBS / 10));
    const p0 = performance.now();
    await pool(probe, (i) => post(`${urls[i % urls.length]}/v1.0-alpha1/jobs/probe-${i}`, { dueTime: '2030-01-01T00:00:00Z' }));
    const probeRate = probe / ((performance.now() - p0) / 1000);
    const due = Date.now() + 5_000 + Math.ceil((2 * JOBS * 1000) / probeRate);
    const beforeSchedule = await readEtcdOps(cluster.etcd.url);
    const cpuBeforeSchedule = pids.map((pid) => cpuSeconds(pid));
    const t0 = performance.now();
    await pool(JOBS, (i) => post(`${urls[i % urls.length]}/v1.0-alpha1/jobs/burst-${i}`, { dueTime: new Date(due).toISOString() }));
    const scheduleMs = performance.now() - t0;
    const scheduledLeadMs = due - Date.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const afterSchedule = await readEtcdOps(cluster.etcd.url);
    const cpuAfterSchedule = pids.map((pid) => cpuSeconds(pid));
    log(`burst: ${JOBS} scheduled in ${Math.round(scheduleMs)} ms; due in ${scheduledLeadMs} ms`);
    if (scheduledLeadMs < 1_000) throw new Error(`scheduling took too long: only ${scheduledLeadMs} ms left before the burst; use fewer --jobs`);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now() - 300)));
    const beforeTrigger = await readEtcdOps(cluster.etcd.url);
    const cpuBeforeTrigger = pids.map((pid) => cpuSeconds(pid));
    await cluster.receiver.waitFor(() => cluster.receiver.received.length >= JOBS, 120_000, `${JOBS} burst deliveries`);
    // The last outcomes commit after their deliveries answered.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const afterTrigger = await readEtcdOps(cluster.etcd.url);
    const cpuAfterTrigger = pids.map((pid) => cpuSeconds(pid));

    const deliveries = cluster.deliveries().filter((d) => d.job.startsWith('burst-'));
    const last = Math.max(...deliveries.map((d) => d.receivedAt));
    const lateness = deliveries.map((d) => d.receivedAt - d.scheduledAt).sort((a, b) => a - b);
    const perReplica: Record<string, number> = {};
    for (const d of deliveries) perReplica[d.replica] = (perReplica[d.replica] ?? 0) + 1;
    const dupes = duplicates(deliveries);
    return {
      replicas: REPLICAS,
      jobs: JOBS,
      drainMs: last - due,
      triggerPerS: Math.round(JOBS / Math.max(0.001, (last - due) / 1000)),
      latenessMs: { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness[lateness.length - 1] },
      deliveriesPerReplica: perReplica,
      duplicates: dupes.length,
      duplicateSamples: dupes.slice(0, 5),
      schedulePerS: Math.round(JOBS / (scheduleMs / 1000)),
      scheduledLeadMs,
      probeSchedulePerS: Math.round(probeRate),
      etcdOpsPerSchedule: opsPer(beforeSchedule, afterSchedule, JOBS),
      etcdOpsPerTrigger: opsPer(beforeTrigger, afterTrigger, deliveries.length),
      replicaCpuMicrosPerSchedule: pids.map((_pid, i) => cpuMicrosPer(cpuBeforeSchedule[i]!, cpuAfterSchedule[i]!, JOBS)),
      replicaCpuMicrosPerTrigger: pids.map((_pid, i) => cpuMicrosPer(cpuBeforeTrigger[i]!, cpuAfterTrigger[i]!, JOBS)),
    };
  } finally {
    await cluster.stop();
  }
}

async function failover(): Promise<Record<string, unknown>> {
  const cluster = new ClusterHarness({ replicas: 3, leaseTtl: '5s', args: QUOTAS_OFF });
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
    log(`failover: killed ${victim.name} (${victimJobs.length} jobs)`);
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

const loadAtStart = os.loadavg();
try {
  const results = {
    bench: 'cluster',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim(),
    loadAtStart,
    ...(args['no-scheduling'] ? {} : { scheduling: await scheduling() }),
    ...(args['no-burst'] ? {} : { burst: await burst() }),
    ...(args['no-failover'] ? {} : { failover: await failover() }),
    loadAtEnd: os.loadavg(),
  };
  console.log(JSON.stringify(results, null, 2));
} finally {
  await agent.close();
  work.remove();
}
