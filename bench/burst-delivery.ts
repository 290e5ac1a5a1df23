// Stage 2: a burst. 20,000 one-shot jobs, all due at one instant about 10 s ahead, are scheduled
// over HTTP (64 concurrent requests) and delivered by Duetime over HTTP to one receiving app, a
// separate process (bench/burst-receiver.js) that records when each callback arrived. Before
// it, 2,000 warm-up jobs due at once are scheduled and delivered, so the burst meets a warm
// server with its delivery connections open, not a process seconds old.
//
// Reported: drain time (last delivery minus the due instant), lateness p50/p99/max (receive time
// minus the duetime-scheduled-time header), how many were delivered, duplicates, and early
// deliveries (which must be 0). After the drain, Duetime is stopped and its file read: every
// one-shot job that was delivered must also be gone from the store.
//
// Then the peer (issue 12's first row): a bare undici Pool with as many connections as Duetime
// delivers over POSTs the same number of requests, with the same bodies and headers, to the same
// receiver (bench/bare-burst-client.js, its own process), in a few rounds. Its drain (last
// arrival minus the round's first request) is what the delivery needs with no scheduler at all;
// Duetime's drain over the peer's median is the ratio the verdict checks.

import { summariseProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { join, relative } from 'node:path';
import { PROJECT_DIR, peakRssMiB, startDuetime, startHelper, type DuetimeServer } from './lib/duetime-server.js';
import { sendAll, type LoadResult } from './lib/http-load.js';
import { tail } from './lib/processes.js';
import { fetchMetrics, metric } from './lib/prometheus.js';
import { countJobs } from './lib/sqlite-count.js';
import { fetchJson, onlyPrefix, summariseDrain, waitForCount, type ReceiverStats } from './lib/receiver-records.js';
import { findProfile, sleep, subdir, type StageContext } from './lib/stage.js';
import { ascending } from './lib/stats.js';
import { cpuMicrosPer, cpuSeconds, mainThreadCpuSeconds } from './lib/proc-cpu.js';
import { leadAndDueAt, type TimedRunOptions } from './lib/timed-run.js';

export interface BurstOptions extends TimedRunOptions {
  /**
   * Jobs due at once, delivered before the burst: they open the delivery connections and warm the
   * JIT of both paths, as in a server that has been running (stage 1 warms up the same way).
   */
  warmupJobs: number;
  /** Rounds of the bare undici peer (0: none); its connections are `deliveryConnections`. */
  bareRounds: number;
  /** Duetime's HTTP deliverer opens at most this many connections per app (its default, 64): the peer gets as many. */
  deliveryConnections: number;
}

export const defaultBurstOptions: BurstOptions = {
  jobs: 20_000,
  warmupJobs: 2_000,
  leadMs: 10_000,
  concurrency: 64,
  drainTimeoutMs: 60_000,
  settleMs: 2_000,
  bareRounds: 3,
  deliveryConnections: 64,
};

/** One round of the bare undici peer: the same requests to the same receiver, no scheduler. */
export interface BarePeerRound {
  /** First request to last arrival at the receiver, ms. */
  drainMs: number;
  deliveriesPerS: number;
  delivered: number;
  distinct: number;
  /** Responses other than 200 plus transport errors. */
  failures: number;
  latenessMs: { p50: number; p99: number; max: number };
  /** The client process's CPU (user + system) per request over the round. */
  cpuMicrosPerRequest: number;
}

export interface BarePeerResult {
  connections: number;
  rounds: BarePeerRound[];
  /** The median round's drain. */
  drainMs: number;
  /** Duetime's drain over the peer's (the target: <= 1.1). */
  ratio: number;
  command: string;
}

export interface BurstResult {
  options: BurstOptions;
  /** The lead actually used (see BurstOptions.leadMs). */
  leadMs: number;
  /** The warm-up: jobs delivered, then as many scheduled far ahead at perS. */
  warmup: { jobs: number; perS: number };
  /** CPU (user + system, from /proc) per delivery, from 300 ms before the due instant to the drain's end. */
  cpu: {
    duetimeMicrosPerDelivery: number;
    /**
     * The part of duetimeMicrosPerDelivery spent on Duetime's main thread (the event loop); the
     * rest is its other threads, mostly the SQLite writer thread. Absent in older results.
     */
    duetimeMainThreadMicrosPerDelivery?: number;
    receiverMicrosPerDelivery: number;
  };
  dueAt: string;
  scheduling: { durationMs: number; perS: number; statuses: Record<string, number>; failures: number; samples: string[]; finishedBeforeDueMs: number };
  /** Every job arrived before drainTimeoutMs ran out. */
  complete: boolean;
  delivered: number;
  /** Distinct jobs delivered. */
  distinct: number;
  duplicates: number;
  early: number;
  /** First and last delivery relative to the due instant, ms. */
  firstMs: number;
  drainMs: number;
  /** Deliveries per second between the first and the last. */
  deliveriesPerS: number;
  latenessMs: { p50: number; p90: number; p99: number; max: number; min: number };
  /** Attempts other than the first (the receiver always answers 200, so there should be none). */
  retries: number;
  engine: { failedAttempts: number; successAttempts: number; inMemoryAfter: number };
  /** Live burst-* jobs left in the store after the drain (a delivered one-shot job is finished: deleted, or a tombstone). */
  storedAfter: number;
  duetimeCommand: string;
  /** Wall-clock instants, ms, for cutting a profile. */
  window: { dueAt: number; lastAt: number };
  /** The bare undici peer, measured after Duetime's drain on the same receiver (absent in a profiled run). */
  bare?: BarePeerResult;
}

export async function runBurst(ctx: StageContext, options: BurstOptions, nodeArgs: string[] = []): Promise<BurstResult> {
  const receiver = await startHelper(ctx.scope, 'receiver', 'burst-receiver.js');
  const dataDir = subdir(ctx, nodeArgs.length ? 'profiled-data' : 'duetime-data');
  const duetime = await startDuetime(ctx.scope, nodeArgs.length ? 'duetime-profiled' : 'duetime', { dataDir, appUrl: receiver.url, nodeArgs });

  const warmup = await warmUp(ctx, duetime.url, receiver.url, options);
  const { leadMs, dueAt } = leadAndDueAt(options, warmup.perS);
  const dueTime = new Date(dueAt).toISOString();
  ctx.log(`scheduling ${options.jobs} jobs due at ${dueTime} (lead ${leadMs} ms)`);
  const scheduled = await sendAll(duetime.url, options.jobs, options.concurrency, (i) => ({
    path: `/v1.0/jobs/burst-${i}`,
    body: JSON.stringify({ dueTime, data: { i } }),
  }));
  const scheduling = schedulingSummary(scheduled, options.jobs, dueAt);
  if (scheduling.statuses['204'] !== options.jobs) {
    throw new Error(`scheduling the burst: expected ${options.jobs} 204s, got ${JSON.stringify(scheduling.statuses)}, ${scheduled.failures} failures: ${scheduled.samples.join(' | ')}`);
  }
  if (scheduling.finishedBeforeDueMs < 0) {
    throw new Error(`scheduling the burst took ${scheduling.durationMs} ms and ended after the due instant; raise leadMs`);
  }

  ctx.log(`scheduled in ${scheduling.durationMs} ms; waiting for the drain`);
  // CPU used by each process from just before the due instant to the last delivery.
  await sleep(dueAt - 300 - Date.now());
  const pids = { duetime: duetime.process.child.pid, receiver: receiver.process.child.pid };
  const cpuBefore = { duetime: cpuSeconds(pids.duetime), duetimeMain: mainThreadCpuSeconds(pids.duetime), receiver: cpuSeconds(pids.receiver) };
  // The receiver counts the warm-up's deliveries too.
  const complete = await waitForCount(receiver.url, options.warmupJobs + options.jobs, dueAt + options.drainTimeoutMs);
  const cpu = {
    duetimeMicrosPerDelivery: cpuMicrosPer(cpuBefore.duetime, cpuSeconds(pids.duetime), options.jobs),
    duetimeMainThreadMicrosPerDelivery: cpuMicrosPer(cpuBefore.duetimeMain, mainThreadCpuSeconds(pids.duetime), options.jobs),
    receiverMicrosPerDelivery: cpuMicrosPer(cpuBefore.receiver, cpuSeconds(pids.receiver), options.jobs),
  };
  ctx.log(
    `CPU per delivery over the drain: Duetime ${cpu.duetimeMicrosPerDelivery} µs (main thread ${cpu.duetimeMainThreadMicrosPerDelivery}, ` +
      `its other threads ${cpu.duetimeMicrosPerDelivery - cpu.duetimeMainThreadMicrosPerDelivery}), receiver ${cpu.receiverMicrosPerDelivery} µs`,
  );
  if (!complete) ctx.log(`not all deliveries arrived within ${options.drainTimeoutMs} ms of the due instant`);
  await sleep(options.settleMs);
  const records = onlyPrefix(await fetchJson<ReceiverStats>(`${receiver.url}/stats`), 'burst-');
  const metrics = await fetchMetrics(duetime.url);
  ctx.log(`Duetime's peak RSS: ${peakRssMiB(duetime)} MiB`);
  await duetime.process.stop('SIGTERM', 30_000);
  const storedAfter = countJobs(dataDir, 'burst-');
  const result = { ...summarise(options, dueAt, scheduling, records, metrics, storedAfter, duetime, complete), leadMs, warmup, cpu };
  // The peer runs with Duetime stopped, so each has the machine as the other had it.
  if (options.bareRounds > 0 && nodeArgs.length === 0) result.bare = await runBarePeer(ctx, receiver.url, options, result.drainMs);
  await receiver.process.stop();
  return result;
}

/** The bare undici peer against the same receiver (see the top of this file). */
async function runBarePeer(ctx: StageContext, receiverUrl: string, options: BurstOptions, duetimeDrainMs: number): Promise<BarePeerResult> {
  const script = join(PROJECT_DIR, 'bench', 'bare-burst-client.js');
  const args = [script, receiverUrl, String(options.jobs), String(options.deliveryConnections), String(options.warmupJobs), String(options.bareRounds)];
  ctx.log(`bare undici peer: ${options.bareRounds} rounds of ${options.jobs} POSTs over ${options.deliveryConnections} connections to the same receiver`);
  const client = ctx.scope.start('bare-client', process.execPath, args);
  const exit = await client.exited;
  if (exit !== 0) throw new Error(`the bare peer exited with ${exit}:\n${tail(client.output())}`);
  const stats = await fetchJson<ReceiverStats>(`${receiverUrl}/stats`);
  const rounds: BarePeerRound[] = [];
  for (const line of client.output().split('\n')) {
    if (!line.startsWith('round ')) continue;
    const round = JSON.parse(line.slice('round '.length)) as { round: number; startedAt: number; statuses: Record<string, number>; errors: number; cpuMicros: number };
    const drain = summariseDrain(onlyPrefix(stats, `bare${round.round}-`), round.startedAt, options.jobs);
    const failures = round.errors + Object.entries(round.statuses).reduce((sum, [status, count]) => sum + (status === '200' ? 0 : count), 0);
    rounds.push({
      drainMs: drain.drainMs,
      deliveriesPerS: drain.deliveriesPerS,
      delivered: drain.delivered,
      distinct: drain.distinct,
      failures,
      latenessMs: { p50: drain.latenessMs.p50, p99: drain.latenessMs.p99, max: drain.latenessMs.max },
      cpuMicrosPerRequest: Math.round(round.cpuMicros / options.jobs),
    });
    ctx.log(`bare round ${round.round}: ${drain.distinct} arrived, last ${drain.drainMs} ms after the first request (${drain.deliveriesPerS}/s)`);
  }
  if (rounds.length !== options.bareRounds) throw new Error(`the bare peer reported ${rounds.length} of ${options.bareRounds} rounds:\n${tail(client.output())}`);
  const drainMs = ascending(rounds.map((r) => r.drainMs))[Math.floor(rounds.length / 2)]!;
  return { connections: options.deliveryConnections, rounds, drainMs, ratio: duetimeDrainMs / drainMs, command: `node ${[relative(PROJECT_DIR, script), ...args.slice(1)].join(' ')}` };
}

/**
 * Schedules warmupJobs due now and waits until the receiver has them all (both paths warm, the
 * delivery connections open); then schedules as many again due in 2030, which are never
 * delivered, to measure the scheduling rate on its own: it sets the burst's lead if 10 s is short.
 */
async function warmUp(ctx: StageContext, duetimeUrl: string, receiverUrl: string, options: BurstOptions): Promise<BurstResult['warmup']> {
  const dueNow = new Date().toISOString();
  const delivered = await sendAll(duetimeUrl, options.warmupJobs, options.concurrency, (i) => ({
    path: `/v1.0/jobs/warm-${i}`,
    body: JSON.stringify({ dueTime: dueNow, data: { i } }),
  }));
  if (delivered.statuses['204'] !== options.warmupJobs) throw new Error(`warm-up scheduling: ${JSON.stringify(delivered.statuses)}: ${delivered.samples.join(' | ')}`);
  if (!(await waitForCount(receiverUrl, options.warmupJobs, Date.now() + options.drainTimeoutMs))) throw new Error('warm-up jobs were not all delivered');
  const far = await sendAll(duetimeUrl, options.warmupJobs, options.concurrency, (i) => ({
    path: `/v1.0/jobs/warmfar-${i}`,
    body: JSON.stringify({ dueTime: '2030-01-01T00:00:00Z', data: { i } }),
  }));
  if (far.statuses['204'] !== options.warmupJobs) throw new Error(`warm-up scheduling: ${JSON.stringify(far.statuses)}: ${far.samples.join(' | ')}`);
  const durationMs = far.endedAt - far.startedAt;
  const warmup = { jobs: options.warmupJobs, perS: Math.round(options.warmupJobs / (durationMs / 1000)) };
  ctx.log(`warm-up: ${warmup.jobs} delivered, then ${warmup.jobs} more scheduled at ${warmup.perS}/s`);
  return warmup;
}

/** The burst again with node --cpu-prof on Duetime; the summary covers the drain only. */
export async function profileBurst(
  ctx: StageContext,
  options: BurstOptions,
  monoOffsetUs: number,
): Promise<{ drainMs: number; profile: ProfileSummary; profileFile: string }> {
  const profileDir = subdir(ctx, 'profile');
  const result = await runBurst(ctx, options, ['--cpu-prof', '--cpu-prof-dir', profileDir]);
  const profileFile = findProfile(profileDir);
  const profile = summariseProfile(profileFile, { fromMs: result.window.dueAt, toMs: result.window.lastAt, monoOffsetUs });
  return { drainMs: result.drainMs, profile, profileFile };
}

function schedulingSummary(load: LoadResult, jobs: number, dueAt: number): BurstResult['scheduling'] {
  const durationMs = load.endedAt - load.startedAt;
  return {
    durationMs,
    perS: Math.round(jobs / (durationMs / 1000)),
    statuses: load.statuses,
    failures: load.failures,
    samples: load.samples,
    finishedBeforeDueMs: dueAt - load.endedAt,
  };
}

function summarise(
  options: BurstOptions,
  dueAt: number,
  scheduling: BurstResult['scheduling'],
  stats: ReceiverStats,
  metrics: Map<string, number>,
  storedAfter: number,
  duetime: DuetimeServer,
  complete: boolean,
): Omit<BurstResult, 'leadMs' | 'warmup' | 'cpu'> {
  const d = summariseDrain(stats, dueAt, options.jobs);
  const retries = stats.attempts.filter((attempt) => attempt > 1).length;
  return {
    options,
    dueAt: new Date(dueAt).toISOString(),
    scheduling,
    complete,
    delivered: d.delivered,
    distinct: d.distinct,
    duplicates: d.duplicates,
    early: d.early,
    firstMs: d.firstMs,
    drainMs: d.drainMs,
    deliveriesPerS: d.deliveriesPerS,
    latenessMs: d.latenessMs,
    retries,
    engine: {
      failedAttempts: metric(metrics, 'duetime_trigger_attempts_total{outcome="failed"}') || 0,
      successAttempts: metric(metrics, 'duetime_trigger_attempts_total{outcome="success"}') || 0,
      inMemoryAfter: metric(metrics, 'duetime_engine_jobs{phase="in_memory"}'),
    },
    storedAfter,
    duetimeCommand: duetime.command,
    window: { dueAt, lastAt: d.lastAt },
  };
}
