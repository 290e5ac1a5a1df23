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

import { summariseProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { startDuetime, startHelper, type DuetimeServer } from './lib/duetime-server.js';
import { sendAll, type LoadResult } from './lib/http-load.js';
import { fetchMetrics, metric } from './lib/prometheus.js';
import { countJobs } from './lib/sqlite-count.js';
import { findProfile, sleep, subdir, type StageContext } from './lib/stage.js';
import { ascending, percentile } from './lib/stats.js';
import { cpuMicrosPer, cpuSeconds } from './lib/proc-cpu.js';

export interface BurstOptions {
  jobs: number;
  /**
   * Jobs due at once, delivered before the burst: they open the delivery connections and warm the
   * JIT of both paths, as in a server that has been running (stage 1 warms up the same way).
   */
  warmupJobs: number;
  /**
   * How far ahead of "now" the shared due instant is set (rounded up to a whole second). Raised
   * when the warm-up's scheduling rate says the burst would not be scheduled in 60% of it.
   */
  leadMs: number;
  concurrency: number;
  /** Give up waiting for the drain this long after the due instant. */
  drainTimeoutMs: number;
  /** After the last expected delivery, keep listening this long for duplicates and retries. */
  settleMs: number;
}

/** The lead is never raised beyond this (the stage's time limit counts on it). */
export const MAX_LEAD_MS = 45_000;

export const defaultBurstOptions: BurstOptions = { jobs: 20_000, warmupJobs: 2_000, leadMs: 10_000, concurrency: 64, drainTimeoutMs: 60_000, settleMs: 2_000 };

export interface BurstResult {
  options: BurstOptions;
  /** The lead actually used (see BurstOptions.leadMs). */
  leadMs: number;
  /** The warm-up: jobs delivered, then as many scheduled far ahead at perS. */
  warmup: { jobs: number; perS: number };
  /** CPU (user + system, from /proc) per delivery, from 300 ms before the due instant to the drain's end. */
  cpu: { duetimeMicrosPerDelivery: number; receiverMicrosPerDelivery: number };
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
}

export async function runBurst(ctx: StageContext, options: BurstOptions, nodeArgs: string[] = []): Promise<BurstResult> {
  const receiver = await startHelper(ctx.scope, 'receiver', 'burst-receiver.js');
  const dataDir = subdir(ctx, nodeArgs.length ? 'profiled-data' : 'duetime-data');
  const duetime = await startDuetime(ctx.scope, nodeArgs.length ? 'duetime-profiled' : 'duetime', { dataDir, appUrl: receiver.url, nodeArgs });

  const warmup = await warmUp(ctx, duetime.url, receiver.url, options);
  const predictedMs = (options.jobs / warmup.perS) * 1000;
  const leadMs = Math.min(MAX_LEAD_MS, Math.max(options.leadMs, Math.ceil(predictedMs / 0.6)));
  const dueAt = Math.ceil((Date.now() + leadMs) / 1000) * 1000;
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
  const cpuBefore = { duetime: cpuSeconds(pids.duetime), receiver: cpuSeconds(pids.receiver) };
  // The receiver counts the warm-up's deliveries too.
  const complete = await waitForCount(receiver.url, options.warmupJobs + options.jobs, dueAt + options.drainTimeoutMs);
  const cpu = {
    duetimeMicrosPerDelivery: cpuMicrosPer(cpuBefore.duetime, cpuSeconds(pids.duetime), options.jobs),
    receiverMicrosPerDelivery: cpuMicrosPer(cpuBefore.receiver, cpuSeconds(pids.receiver), options.jobs),
  };
  if (!complete) ctx.log(`not all deliveries arrived within ${options.drainTimeoutMs} ms of the due instant`);
  await sleep(options.settleMs);
  const records = onlyBurst(await fetchJson<ReceiverStats>(`${receiver.url}/stats`));
  const metrics = await fetchMetrics(duetime.url);
  await duetime.process.stop('SIGTERM', 30_000);
  await receiver.process.stop();
  const storedAfter = countJobs(dataDir, 'burst-');
  return { ...summarise(options, dueAt, scheduling, records, metrics, storedAfter, duetime, complete), leadMs, warmup, cpu };
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

/** The receiver's records of burst jobs only (not the warm-up's). */
function onlyBurst(stats: ReceiverStats): ReceiverStats {
  const keep: number[] = [];
  stats.names.forEach((name, i) => name.startsWith('burst-') && keep.push(i));
  return {
    names: keep.map((i) => stats.names[i]!),
    receivedAt: keep.map((i) => stats.receivedAt[i]!),
    scheduledAt: keep.map((i) => stats.scheduledAt[i] ?? null),
    attempts: keep.map((i) => stats.attempts[i]!),
  };
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

interface ReceiverStats {
  names: string[];
  receivedAt: number[];
  scheduledAt: Array<number | null>;
  attempts: number[];
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
  const n = stats.names.length;
  const distinct = new Set(stats.names).size;
  let early = 0;
  let retries = 0;
  const lateness: number[] = [];
  for (let i = 0; i < n; i++) {
    const scheduledAt = stats.scheduledAt[i];
    if (scheduledAt === null || scheduledAt === undefined) continue;
    const late = stats.receivedAt[i]! - scheduledAt;
    if (late < 0) early++;
    lateness.push(late);
    if ((stats.attempts[i] ?? 1) > 1) retries++;
  }
  const sortedLateness = ascending(lateness);
  const received = ascending(stats.receivedAt);
  const first = received[0] ?? Number.NaN;
  const last = received[received.length - 1] ?? Number.NaN;
  return {
    options,
    dueAt: new Date(dueAt).toISOString(),
    scheduling,
    complete,
    delivered: n,
    distinct,
    duplicates: n - distinct,
    early,
    firstMs: first - dueAt,
    drainMs: last - dueAt,
    deliveriesPerS: Math.round(n / Math.max(0.001, (last - first) / 1000)),
    latenessMs: {
      min: sortedLateness[0] ?? Number.NaN,
      p50: percentile(sortedLateness, 50),
      p90: percentile(sortedLateness, 90),
      p99: percentile(sortedLateness, 99),
      max: sortedLateness[sortedLateness.length - 1] ?? Number.NaN,
    },
    retries,
    engine: {
      failedAttempts: metric(metrics, 'duetime_trigger_attempts_total{outcome="failed"}') || 0,
      successAttempts: metric(metrics, 'duetime_trigger_attempts_total{outcome="success"}') || 0,
      inMemoryAfter: metric(metrics, 'duetime_engine_jobs{phase="in_memory"}'),
    },
    storedAfter,
    duetimeCommand: duetime.command,
    window: { dueAt, lastAt: last },
  };
}

/** true once count deliveries arrived, false if the deadline passed first. */
async function waitForCount(receiverUrl: string, count: number, deadline: number): Promise<boolean> {
  // Polled every 100 ms: a GET that costs the receiver next to nothing next to 20,000 callbacks.
  for (;;) {
    const { count: got } = await fetchJson<{ count: number }>(`${receiverUrl}/count`);
    if (got >= count) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}
