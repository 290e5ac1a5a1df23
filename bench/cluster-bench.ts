// The cluster stages of the bench (issue 12's two etcd rows), on one real etcd (Debian's
// etcd-server, started on free loopback ports) and replicas run from the build
// (bin/duetime.js) by the cluster harness (src/testing/cluster-harness.ts):
//
// BENCH_DUETIME_BIN names another build's bin/duetime.js to run instead (an A/B comparison), as
// for the other stages; BENCH_CLUSTER_NODE_ARGS adds node options to the replicas (space-separated,
// e.g. a V8 flag to try).
//
// - cluster-throughput: wrk (64 connections, 2 threads, bench/wrk/schedule-jobs.lua: each request
//   a new job due in 2030) against one replica on etcd and against one server on the embedded
//   SQLite store, in alternating rounds of the same stage; ratio = the median of the rounds'
//   etcd / SQLite ratios. With each round: etcd's operations per schedule (from its own
//   /metrics, bench/lib/etcd-ops.ts) and the CPU per schedule of the replica, of etcd and of the
//   SQLite server (from /proc), the steadier figures on a shared machine.
// - cluster-burst: `jobs` one-shot jobs all due at one instant, scheduled through `replicas`
//   replicas (64 requests in flight, round-robin), after a warm-up burst that opens the delivery
//   connections and warms the JIT; drain = last delivery at the app - the due instant. etcd's
//   operations and every process's CPU per schedule and per trigger. With `profileDir`, every
//   replica runs under node --cpu-prof and the summary of each, cut to the trigger window, is
//   returned.
// - cluster-failover (not in the default set): 3 replicas, 150 jobs on a 1 s schedule, one
//   replica killed with SIGKILL; for each of its jobs, the time from the kill to its first
//   delivery by a survivor. Lease TTL 5 s.
//
// bench/cluster.ts runs these on their own and prints the JSON; bench/run-benchmarks.ts runs
// them as stages of `npm run bench`.

import os from 'node:os';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { ClusterHarness, duplicates, type Delivery } from '../src/testing/cluster-harness.js';
import { summariseProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { PROJECT_DIR, startDuetime, startHelper } from './lib/duetime-server.js';
import { envArgs } from './lib/env-args.js';
import { opsPer, readEtcdOps, type EtcdOpsPer } from './lib/etcd-ops.js';
import { cpuMicrosPer, cpuSeconds } from './lib/proc-cpu.js';
import { fetchJson, onlyPrefix, waitForCount, type ReceiverStats } from './lib/receiver-records.js';
import { sleep, subdir, type StageContext } from './lib/stage.js';
import { count2xx, runWrk } from './lib/wrk.js';

// The bench measures the store and the cluster, not the per-app quotas (one app sends it all).
const QUOTAS_OFF = ['--max-jobs-per-app', '0', '--schedule-rate-per-app', '0'];
const MAX_LEAD_MS = 45_000;
const BIN = process.env.BENCH_DUETIME_BIN ?? join(PROJECT_DIR, 'bin', 'duetime.js');

export interface ClusterThroughputOptions {
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
}

// A 4 s warm-up of each: after 2 s the replica's first round still cost 1.5x the next ones' CPU per
// schedule (its JIT and etcd's warm later than the SQLite server).
export const defaultClusterThroughputOptions: ClusterThroughputOptions = { rounds: 3, durationS: 6, warmupS: 4, connections: 64 };

export interface ClusterBurstOptions {
  jobs: number;
  replicas: number;
  /** Jobs due at once and delivered before the burst (connections open, JIT warm); 0: none. */
  warmupJobs: number;
  concurrency: number;
  drainTimeoutMs: number;
}

// 4,000 warm-up jobs (about 1,300 per replica): after 1,000 the replicas and the app still ran
// the trigger path unoptimised through the burst's first second (2026-12-05, 4 alternating pairs:
// drain median 2,757 -> 2,292 ms, cluster CPU per trigger 370 -> 317 us, the app's 81 -> 54 us).
export const defaultClusterBurstOptions: ClusterBurstOptions = { jobs: 10_000, replicas: 3, warmupJobs: 4_000, concurrency: 64, drainTimeoutMs: 60_000 };

export interface WrkRun {
  perS: number;
  success: number;
  failures: number;
  latencyMs: { p50: number; p99: number };
  /** CPU of the Duetime process per 2xx answer. */
  serverCpuMicros: number;
}

export interface ClusterThroughputRound {
  sqlite: WrkRun;
  etcd: WrkRun;
  ratio: number;
  etcdOpsPerSchedule: EtcdOpsPer;
  /** SQLite server CPU over replica + etcd CPU per schedule: the rate ratio where CPU is the limit. */
  cpuRatio: number;
  load: number;
}

export interface ClusterThroughputResult {
  options: ClusterThroughputOptions;
  wrk: string;
  etcdPerS: number;
  sqlitePerS: number;
  /** The median of the rounds' etcd / SQLite rate ratios. */
  ratio: number;
  /** The median of the rounds' CPU ratios. */
  cpuRatio: number;
  etcdOpsPerSchedule: EtcdOpsPer;
  rounds: ClusterThroughputRound[];
  failures: number;
}

export interface ClusterBurstResult {
  options: ClusterBurstOptions;
  drainMs: number;
  complete: boolean;
  delivered: number;
  triggerPerS: number;
  latenessMs: { p50: number; p99: number; max: number };
  deliveriesPerReplica: Record<string, number>;
  duplicates: number;
  duplicateSamples: ReturnType<typeof duplicates>;
  early: number;
  schedulePerS: number;
  scheduledLeadMs: number;
  etcdOpsPerSchedule: EtcdOpsPer;
  etcdOpsPerTrigger: EtcdOpsPer;
  /** Each replica's CPU over the whole burst's jobs (so the replicas' figures add up to the cluster's). */
  replicaCpuMicrosPerSchedule: number[];
  replicaCpuMicrosPerTrigger: number[];
  /** Replicas + etcd, per trigger: what the machine spends on one. */
  clusterCpuMicrosPerTrigger: number;
  /** jobs x clusterCpuMicrosPerTrigger / cores: the drain if CPU were the only limit. */
  cpuBoundDrainMs: number;
  /** The receiving app's CPU (bench/burst-receiver.js, its own process) over the trigger window, per trigger. */
  receiverCpuMicrosPerTrigger: number;
  /** Deliveries per replica in each 250 ms after the due instant. */
  timeline: Record<string, number[]>;
  /** With a profile dir: each replica's profile over the trigger window. */
  profiles?: Array<{ replica: string; file: string; summary: ProfileSummary }>;
}

export interface ClusterFailoverResult {
  replicas: number;
  leaseTtlMs: number;
  victimJobs: number;
  firstDeliveryElsewhereMs: { min: number; p50: number; max: number };
  sharesAfter: number[];
  duplicates: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs `count` tasks with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

function poster(agent: Agent): (url: string, body: unknown) => Promise<void> {
  return async (url, body) => {
    const { origin, pathname } = new URL(url);
    const response = await agent.request({ origin, path: pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await response.body.dump();
    if (response.statusCode !== 204) throw new Error(`POST ${url}: HTTP ${response.statusCode}`);
  };
}

/** A cluster whose etcd and replicas go with the stage's scope, whatever ends the stage. */
async function startCluster(ctx: StageContext, options: ConstructorParameters<typeof ClusterHarness>[0]): Promise<{ cluster: ClusterHarness; stop: () => Promise<void> }> {
  const cluster = new ClusterHarness({ bin: BIN, ...options, args: [...QUOTAS_OFF, ...(options?.args ?? [])] });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await cluster.stop();
  };
  ctx.scope.defer(stop);
  await cluster.start();
  await cluster.waitBalanced();
  return { cluster, stop };
}

async function wrkRun(ctx: StageContext, name: string, url: string, pid: number | undefined, durationS: number, connections: number, prefix: string): Promise<WrkRun> {
  const before = cpuSeconds(pid);
  const run = await runWrk(ctx.scope, name, { url, threads: 2, connections, durationS, prefix });
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

export async function runClusterThroughput(ctx: StageContext, options: ClusterThroughputOptions): Promise<ClusterThroughputResult> {
  const { cluster } = await startCluster(ctx, { replicas: 1, nodeArgs: envArgs('BENCH_CLUSTER_NODE_ARGS') });
  const sqlite = await startDuetime(ctx.scope, 'sqlite', { dataDir: subdir(ctx, 'sqlite-data'), appUrl: `${cluster.receiver.url}/sqlite` });
  const replica = cluster.live()[0]!;
  ctx.log('1 replica on etcd and one server on SQLite up');
  const c = options.connections;
  await wrkRun(ctx, 'warm-sqlite', sqlite.url, sqlite.process.child.pid, options.warmupS, c, 'warm');
  await wrkRun(ctx, 'warm-etcd', replica.url, replica.process.pid, options.warmupS, c, 'warm');
  const rounds: ClusterThroughputRound[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const sqliteRun = await wrkRun(ctx, `sqlite-r${round}`, sqlite.url, sqlite.process.child.pid, options.durationS, c, `r${round}`);
    const before = await readEtcdOps(cluster.etcd.url);
    const etcdRun = await wrkRun(ctx, `etcd-r${round}`, replica.url, replica.process.pid, options.durationS, c, `r${round}`);
    // Commits answered are done; the watch may still be sending their events: let it finish.
    await sleep(500);
    const ops = opsPer(before, await readEtcdOps(cluster.etcd.url), etcdRun.success);
    const ratio = Math.round((etcdRun.perS / sqliteRun.perS) * 1000) / 1000;
    const cpuRatio = Math.round((sqliteRun.serverCpuMicros / (etcdRun.serverCpuMicros + ops.cpuMicros)) * 1000) / 1000;
    rounds.push({ sqlite: sqliteRun, etcd: etcdRun, ratio, etcdOpsPerSchedule: ops, cpuRatio, load: os.loadavg()[0]! });
    ctx.log(`round ${round}: etcd ${etcdRun.perS}/s (${etcdRun.serverCpuMicros} + ${ops.cpuMicros} µs), SQLite ${sqliteRun.perS}/s (${sqliteRun.serverCpuMicros} µs): ratio ${ratio}`);
  }
  // The median round by ratio: one round's rates swing with the neighbours' load (a round where
  // SQLite drew a slow window and etcd a fast one is not the typical one).
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor((rounds.length - 1) / 2)]!;
  const cpuRatios = rounds.map((r) => r.cpuRatio).sort((a, b) => a - b);
  return {
    options,
    wrk: `wrk -t2 -c${c} -d${options.durationS}s -s bench/wrk/schedule-jobs.lua`,
    etcdPerS: median.etcd.perS,
    sqlitePerS: median.sqlite.perS,
    ratio: median.ratio,
    cpuRatio: cpuRatios[Math.floor((cpuRatios.length - 1) / 2)]!,
    etcdOpsPerSchedule: median.etcdOpsPerSchedule,
    rounds,
    failures: rounds.reduce((sum, r) => sum + r.etcd.failures + r.sqlite.failures, 0),
  };
}

export async function runClusterBurst(ctx: StageContext, options: ClusterBurstOptions, profile?: { dir: string; monoOffsetUs: number }): Promise<ClusterBurstResult> {
  const { jobs, concurrency } = options;
  const nodeArgs = [...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile.dir] : []), ...envArgs('BENCH_CLUSTER_NODE_ARGS')];
  // The app is bench/burst-receiver.js in its own process, as for the one-node burst: the harness's
  // recording app, in the bench's own process, cost 51 to 71 µs of CPU per delivery on the same two
  // cores (every request's headers and body kept in a heap of 10,000s of records).
  const receiver = await startHelper(ctx.scope, 'cluster-app', 'burst-receiver.js');
  const receiverPid = receiver.process.child.pid;
  const { cluster, stop } = await startCluster(ctx, { replicas: options.replicas, nodeArgs, appUrl: receiver.url });
  const agent = new Agent({ connections: concurrency });
  ctx.scope.defer(() => agent.close());
  const post = poster(agent);
  const replicas = cluster.live();
  const urls = replicas.map((r) => r.url);
  const pids = replicas.map((r) => r.process.pid);
  ctx.log(`${options.replicas} replica(s) up`);

  if (options.warmupJobs > 0) {
    const due = new Date(Date.now() + 3_000).toISOString();
    await pool(options.warmupJobs, concurrency, (i) => post(`${urls[i % urls.length]}/v1.0-alpha1/jobs/warm-${i}`, { dueTime: due }));
    if (!(await waitForCount(receiver.url, options.warmupJobs, Date.now() + 60_000))) throw new Error(`${options.warmupJobs} warm-up deliveries not received within 60 s`);
  }
  // Far enough ahead to be scheduled first (checked below): twice the time a probe's rate says
  // scheduling them takes, plus 5 s, at most MAX_LEAD_MS (a slow probe on a loaded machine must
  // not stretch the stage). Jobs due beyond the 20 s look-ahead are loaded by a refill before
  // they are due, so the lead may be anything.
  const probe = Math.min(500, Math.ceil(jobs / 10));
  const p0 = performance.now();
  await pool(probe, concurrency, (i) => post(`${urls[i % urls.length]}/v1.0-alpha1/jobs/probe-${i}`, { dueTime: '2030-01-01T00:00:00Z' }));
  const probeRate = probe / ((performance.now() - p0) / 1000);
  const due = Date.now() + Math.min(MAX_LEAD_MS, 5_000 + Math.ceil((2 * jobs * 1000) / probeRate));
  const beforeSchedule = await readEtcdOps(cluster.etcd.url);
  const cpuBeforeSchedule = pids.map((pid) => cpuSeconds(pid));
  const t0 = performance.now();
  await pool(jobs, concurrency, (i) => post(`${urls[i % urls.length]}/v1.0-alpha1/jobs/burst-${i}`, { dueTime: new Date(due).toISOString() }));
  const scheduleMs = performance.now() - t0;
  const scheduledLeadMs = due - Date.now();
  await sleep(300);
  const afterSchedule = await readEtcdOps(cluster.etcd.url);
  const cpuAfterSchedule = pids.map((pid) => cpuSeconds(pid));
  ctx.log(`${jobs} scheduled in ${Math.round(scheduleMs)} ms; due in ${scheduledLeadMs} ms`);
  if (scheduledLeadMs < 1_000) throw new Error(`scheduling took too long: only ${scheduledLeadMs} ms left before the burst`);

  await sleep(Math.max(0, due - Date.now() - 300));
  const windowFrom = Date.now();
  const beforeTrigger = await readEtcdOps(cluster.etcd.url);
  const cpuBeforeTrigger = pids.map((pid) => cpuSeconds(pid));
  const receiverCpuBefore = cpuSeconds(receiverPid);
  // What the app holds before the burst (the warm-up's, any of them twice included), so the wait
  // is for the burst's own count.
  const before = (await fetchJson<{ count: number }>(`${receiver.url}/count`)).count;
  const complete = await waitForCount(receiver.url, before + jobs, due + options.drainTimeoutMs);
  if (!complete) ctx.log(`not all ${jobs} burst deliveries arrived within ${options.drainTimeoutMs} ms of the due instant`);
  // The last outcomes commit after their deliveries answered.
  await sleep(1_000);
  const afterTrigger = await readEtcdOps(cluster.etcd.url);
  const cpuAfterTrigger = pids.map((pid) => cpuSeconds(pid));
  const receiverCpu = cpuMicrosPer(receiverCpuBefore, cpuSeconds(receiverPid), jobs);
  const windowTo = Date.now();

  const deliveries = deliveriesOf(onlyPrefix(await fetchJson<ReceiverStats>(`${receiver.url}/stats`), 'burst-'));
  const last = Math.max(...deliveries.map((d) => d.receivedAt));
  const lateness = deliveries.map((d) => d.receivedAt - d.scheduledAt).sort((a, b) => a - b);
  const perReplica: Record<string, number> = {};
  for (const d of deliveries) perReplica[d.replica] = (perReplica[d.replica] ?? 0) + 1;
  const dupes = duplicates(deliveries);
  const etcdOpsPerTrigger = opsPer(beforeTrigger, afterTrigger, deliveries.length);
  const replicaCpuMicrosPerTrigger = pids.map((_pid, i) => cpuMicrosPer(cpuBeforeTrigger[i]!, cpuAfterTrigger[i]!, jobs));
  const clusterCpuMicrosPerTrigger = replicaCpuMicrosPerTrigger.reduce((a, b) => a + b, 0) + etcdOpsPerTrigger.cpuMicros;
  const result: ClusterBurstResult = {
    options,
    receiverCpuMicrosPerTrigger: receiverCpu,
    timeline: timeline(deliveries, due),
    drainMs: last - due,
    complete,
    delivered: deliveries.length,
    triggerPerS: Math.round(jobs / Math.max(0.001, (last - due) / 1000)),
    latenessMs: { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness[lateness.length - 1] ?? Number.NaN },
    deliveriesPerReplica: perReplica,
    duplicates: dupes.length,
    duplicateSamples: dupes.slice(0, 5),
    early: deliveries.filter((d) => d.receivedAt < d.scheduledAt).length,
    schedulePerS: Math.round(jobs / (scheduleMs / 1000)),
    scheduledLeadMs,
    etcdOpsPerSchedule: opsPer(beforeSchedule, afterSchedule, jobs),
    etcdOpsPerTrigger,
    replicaCpuMicrosPerSchedule: pids.map((_pid, i) => cpuMicrosPer(cpuBeforeSchedule[i]!, cpuAfterSchedule[i]!, jobs)),
    replicaCpuMicrosPerTrigger,
    clusterCpuMicrosPerTrigger,
    cpuBoundDrainMs: Math.round((jobs * clusterCpuMicrosPerTrigger) / 1000 / os.cpus().length),
  };
  if (profile) {
    // A graceful stop makes each replica write its profile.
    await stop();
    result.profiles = replicas.map((r) => {
      const file = profileOf(profile.dir, r.process.pid);
      return { replica: r.name, file, summary: summariseProfile(file, { fromMs: windowFrom, toMs: windowTo, monoOffsetUs: profile.monoOffsetUs }) };
    });
  }
  return result;
}

/** The receiver's records as the harness's ledger shows deliveries: the path's prefix names the replica. */
function deliveriesOf(stats: ReceiverStats): Delivery[] {
  return stats.names.map((job, i) => ({
    replica: stats.via?.[i] ?? '',
    job,
    scheduledAt: stats.scheduledAt[i] ?? Number.NaN,
    receivedAt: stats.receivedAt[i]!,
    attempt: stats.attempts[i]!,
  }));
}

function timeline(deliveries: Array<{ replica: string; receivedAt: number }>, due: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const d of deliveries) {
    const row = (out[d.replica] ??= []);
    const bucket = Math.max(0, Math.floor((d.receivedAt - due) / 250));
    while (row.length <= bucket) row.push(0);
    row[bucket]!++;
  }
  return out;
}

/** The main thread's profile of one process: CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile. */
function profileOf(dir: string, pid: number | undefined): string {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.0.`));
  if (!file) throw new Error(`no .cpuprofile of pid ${pid} in ${dir}: did the replica exit cleanly?`);
  return join(dir, file);
}

export async function runClusterFailover(ctx: StageContext): Promise<ClusterFailoverResult> {
  const { cluster } = await startCluster(ctx, { replicas: 3, leaseTtl: '5s' });
  const names = Array.from({ length: 150 }, (_, i) => `fo-${i}`);
  await Promise.all(names.map((name, i) => cluster.schedule(name, { schedule: '@every 1s', dueTime: '2s', repeats: 40 }, cluster.live()[i % 3])));
  await cluster.waitFor((d) => d.length >= names.length * 3, 60_000, 'three ticks of every job');
  const owners = await cluster.owners();
  const victim = cluster.live()[0]!;
  const victimJobs = names.filter((n) => owners.get(cluster.partitionOfJob(n)) === victim.name);
  const killedAt = Date.now();
  await cluster.kill(victim);
  ctx.log(`killed ${victim.name} (${victimJobs.length} jobs)`);
  const elsewhere = (d: ReturnType<ClusterHarness['deliveries']>, n: string): number[] => d.filter((x) => x.job === n && x.replica !== victim.name && x.receivedAt >= killedAt).map((x) => x.receivedAt);
  await cluster.waitFor((d) => victimJobs.every((n) => elsewhere(d, n).length > 0), 60_000, 'every job of the victim to fire elsewhere');
  const resumed = victimJobs.map((n) => Math.min(...elsewhere(cluster.deliveries(), n)) - killedAt).sort((a, b) => a - b);
  const taken = await cluster.waitBalanced(30_000);
  return {
    replicas: 3,
    leaseTtlMs: 5_000,
    victimJobs: victimJobs.length,
    firstDeliveryElsewhereMs: { min: resumed[0] ?? Number.NaN, p50: percentile(resumed, 50), max: resumed[resumed.length - 1] ?? Number.NaN },
    sharesAfter: taken.members.map((m) => m.partitions.length),
    duplicates: duplicates(cluster.deliveries()).length,
  };
}
