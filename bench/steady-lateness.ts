// Stages "steady-5k" and "steady-1k" (issue 12): lateness at a steady trigger rate. N one-shot
// jobs are scheduled over HTTP into a built Duetime on SQLite, due evenly spread from T0 (the
// due instant of the first, `leadMs` ahead) over N / rate seconds; each carries its due instant
// in its data ({"due": ms}), and Duetime delivers each over HTTP to a receiving app, its own
// process (bench/steady-receiver.js), which records when it arrived. Before that, warmupJobs due
// at once are delivered (connections open, both paths warm) and as many due in 2030 are
// scheduled, which measures the scheduling rate: the lead is raised when scheduling N would not
// end well before T0. With the N jobs come the lead-in's (timed-run.ts, STEADY_LEAD_IN_MS): due at
// the same rate over the half second before T0, delivered, not measured, so that the window opens
// on a rate already running.
//
// The default lead (25 s) is longer than the engine's look-ahead (20 s), so the jobs reach memory
// through the store's refills, as jobs scheduled ahead of time do, not straight from the API.
//
// Reported: lateness (arrival minus the due instant in the data) p50/p90/p99/p99.9/max, early
// deliveries (must be 0), duplicates, missing; the episodes of lateness over 5 ms (when, how
// long, how late), which shows a periodic stall; and the server's event-loop delay over the run
// from its /metrics (prom-client's nodejs_eventloop_lag_* gauges, which read a
// perf_hooks.monitorEventLoopDelay histogram and reset it on every scrape: a scrape just before
// T0 starts the window, one after the last delivery ends it), and how many of the server's own
// delay samples (duetime_event_loop_delay_seconds, never reset: the two scrapes' difference)
// were over 5 and over 20 ms, the steady targets.

import { setPriority } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findStalls, type Stall } from './lib/profile-stalls.js';
import { peakRssMiB, startDuetime, startHelper } from './lib/duetime-server.js';
import { sendAll } from './lib/http-load.js';
import { traceReport } from './lib/steady-trace.js';
import { fetchMetrics, metric, type Metrics } from './lib/prometheus.js';
import { findProfile, sleep, subdir, type StageContext } from './lib/stage.js';
import { ascending, percentile } from './lib/stats.js';
import { leadAndDueAt, leadInJobs, STEADY_LEAD_IN_MS, type TimedRunOptions } from './lib/timed-run.js';

/** leadMs is the lead of T0, the first job's due instant; drainTimeoutMs counts from the last job's. */
export interface SteadyOptions extends TimedRunOptions {
  ratePerS: number;
}

export const defaultSteady5kOptions: SteadyOptions = { jobs: 50_000, ratePerS: 5_000, leadMs: 25_000, warmupJobs: 2_000, concurrency: 64, drainTimeoutMs: 30_000, settleMs: 1_000 };
export const defaultSteady1kOptions: SteadyOptions = { ...defaultSteady5kOptions, jobs: 10_000, ratePerS: 1_000 };


/** Lateness above this counts towards an episode (issue 12's p99 target at 5,000/s). */
const EPISODE_LATE_MS = 5;
/** Late deliveries whose due instants are closer than this belong to one episode. */
const EPISODE_GAP_MS = 50;

export interface LateEpisode {
  /** Due instant of its first late job, ms after T0. */
  atMs: number;
  /** From its first to its last late job's due instant. */
  spanMs: number;
  jobs: number;
  maxLateMs: number;
}

export interface EventLoopDelay {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** duetime_event_loop_delay_seconds samples (one per 10 ms) during the run, and how many were over 5 and 20 ms; NaN from a server without it. */
  samples?: number;
  over5Ms?: number;
  over20Ms?: number;
}

export interface SteadyResult {
  name: string;
  options: SteadyOptions;
  leadMs: number;
  t0: string;
  warmup: { jobs: number; perS: number };
  scheduling: { durationMs: number; perS: number; finishedBeforeT0Ms: number };
  complete: boolean;
  delivered: number;
  distinct: number;
  duplicates: number;
  missing: number;
  early: number;
  /** Deliveries whose data had no readable due instant (must be 0). */
  unreadable: number;
  retries: number;
  latenessMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  /** Worst first, at most 10. */
  episodes: LateEpisode[];
  /** How many episodes in all. */
  episodeCount: number;
  eventLoop: EventLoopDelay;
  duetimeCommand: string;
  /** Wall-clock window of the run, ms: T0 to the last delivery, for cutting a profile. */
  window: { t0: number; lastAt: number };
}

export async function runSteady(ctx: StageContext, name: string, options: SteadyOptions, nodeArgs: string[] = []): Promise<SteadyResult> {
  const traceArgs = traceNodeArgs(ctx);
  if (traceArgs.length > 0) await startCanary(ctx, traceArgs);
  const receiver = await startHelper(ctx.scope, 'receiver', 'steady-receiver.js', traceArgs);
  const dataDir = subdir(ctx, nodeArgs.length ? 'profiled-data' : 'duetime-data');
  const duetime = await startDuetime(ctx.scope, nodeArgs.length ? 'duetime-profiled' : 'duetime', { dataDir, appUrl: receiver.url, nodeArgs: [...traceArgs, ...nodeArgs] });

  const warmup = await warmUp(ctx, duetime.url, receiver.url, options);
  const { leadMs, dueAt: t0 } = leadAndDueAt(options, warmup.perS);
  const spacingMs = 1000 / options.ratePerS;
  const dueOf = (i: number): number => t0 + Math.floor(i * spacingMs);
  const lastDue = dueOf(options.jobs - 1);
  const leadIn = leadInJobs(options.ratePerS);
  ctx.log(`scheduling ${leadIn} lead-in jobs and ${options.jobs} jobs due from ${new Date(t0).toISOString()} at ${options.ratePerS}/s (lead ${leadMs} ms)`);
  const leadInScheduled = await sendAll(duetime.url, leadIn, options.concurrency, (i) => {
    const due = t0 - STEADY_LEAD_IN_MS + Math.floor(i * spacingMs);
    return { path: `/v1.0/jobs/leadin-${i}`, body: JSON.stringify({ dueTime: new Date(due).toISOString(), data: { due } }) };
  });
  if (leadInScheduled.statuses['204'] !== leadIn) throw new Error(`lead-in scheduling: ${JSON.stringify(leadInScheduled.statuses)}: ${leadInScheduled.samples.join(' | ')}`);
  const scheduled = await sendAll(duetime.url, options.jobs, options.concurrency, (i) => {
    const due = dueOf(i);
    return { path: `/v1.0/jobs/steady-${i}`, body: JSON.stringify({ dueTime: new Date(due).toISOString(), data: { due } }) };
  });
  if (scheduled.statuses['204'] !== options.jobs) {
    throw new Error(`scheduling: expected ${options.jobs} 204s, got ${JSON.stringify(scheduled.statuses)}, ${scheduled.failures} failures: ${scheduled.samples.join(' | ')}`);
  }
  const schedulingMs = scheduled.endedAt - scheduled.startedAt;
  const scheduling = { durationMs: schedulingMs, perS: Math.round(options.jobs / (schedulingMs / 1000)), finishedBeforeT0Ms: t0 - scheduled.endedAt };
  if (scheduling.finishedBeforeT0Ms < STEADY_LEAD_IN_MS + 1_000) throw new Error(`scheduling took ${schedulingMs} ms and ended ${scheduling.finishedBeforeT0Ms} ms before T0; raise leadMs`);
  ctx.log(`scheduled in ${schedulingMs} ms (${scheduling.perS}/s); waiting for T0`);

  // This scrape resets prom-client's event-loop histogram: the next one reads the run alone. It
  // falls in the lead-in, whose jobs its few ms delay (not measured); close enough to T0 that the
  // window is mostly the run's, far enough that its own pause has passed by T0.
  await sleep(t0 - 200 - Date.now());
  const beforeT0 = await fetchMetrics(duetime.url);
  const expected = options.warmupJobs + leadIn + options.jobs;
  const complete = await waitForCount(receiver.url, expected, lastDue + options.drainTimeoutMs);
  const eventLoop = eventLoopDelay(await fetchMetrics(duetime.url), beforeT0);
  if (!complete) ctx.log(`not all deliveries arrived within ${options.drainTimeoutMs} ms of the last due instant`);
  await sleep(options.settleMs);
  const stats = onlySteady(await fetchJson<ReceiverStats>(`${receiver.url}/stats`));
  ctx.log(`Duetime's peak RSS: ${peakRssMiB(duetime)} MiB`);
  await duetime.process.stop('SIGTERM', 30_000);
  await receiver.process.stop();
  const result = summarise(name, options, t0, stats, eventLoop, complete);
  if (traceArgs.length > 0) for (const line of traceReport(process.env.BENCH_TRACE_DIR!, t0, result.window.lastAt, result.episodes, leadIn + options.jobs)) ctx.log(line);
  ctx.log(
    `lateness p50 ${result.latenessMs.p50} p99 ${result.latenessMs.p99} p99.9 ${result.latenessMs.p999} max ${result.latenessMs.max} ms; ` +
      `${result.episodeCount} episodes over ${EPISODE_LATE_MS} ms; event loop p99 ${eventLoop.p99Ms} max ${eventLoop.maxMs} ms; ` +
      `${result.early} early, ${result.duplicates} duplicates, ${result.missing} missing`,
  );
  return { ...result, leadMs, warmup, scheduling, duetimeCommand: duetime.command };
}

export interface SteadyProfile {
  latenessMs: SteadyResult['latenessMs'];
  stalls: Stall[];
  profileFile: string;
}

/** The stage again with node --cpu-prof on Duetime; reports every busy stretch of 10 ms or more during the run. */
export async function profileSteady(ctx: StageContext, name: string, options: SteadyOptions, monoOffsetUs: number): Promise<SteadyProfile> {
  const profileDir = subdir(ctx, 'profile');
  const result = await runSteady(ctx, name, options, ['--cpu-prof', '--cpu-prof-dir', profileDir]);
  const profileFile = findProfile(profileDir);
  const stalls = findStalls(profileFile, { fromMs: result.window.t0 - 1_000, toMs: result.window.lastAt, originMs: result.window.t0, monoOffsetUs, minMs: 10 });
  return { latenessMs: result.latenessMs, stalls, profileFile };
}

/**
 * With BENCH_STEADY_TRACE=1, both processes load bench/lib/trace-preload.js, which writes their
 * GC pauses, event-loop gaps, posts to the writer thread and commit durations on the wall clock
 * into the stage's trace/ folder, to line an episode up with what the processes were doing.
 */
function traceNodeArgs(ctx: StageContext): string[] {
  if (process.env.BENCH_STEADY_TRACE !== '1') return [];
  process.env.BENCH_TRACE_DIR = subdir(ctx, 'trace');
  return ['--import', pathToFileURL(join(import.meta.dirname, 'lib', 'trace-preload.js')).href];
}

/** The stall canary (bench/stall-canary.js) at the highest priority the bench may give it. */
async function startCanary(ctx: StageContext, traceArgs: string[]): Promise<void> {
  const canary = await startHelper(ctx.scope, 'canary', 'stall-canary.js', traceArgs);
  try {
    setPriority(canary.process.child.pid!, -20);
  } catch {
    ctx.log('the stall canary runs at normal priority (no permission to raise it): its gaps may be CPU contention too');
  }
}

async function warmUp(ctx: StageContext, duetimeUrl: string, receiverUrl: string, options: SteadyOptions): Promise<SteadyResult['warmup']> {
  const now = Date.now();
  const delivered = await sendAll(duetimeUrl, options.warmupJobs, options.concurrency, (i) => ({
    path: `/v1.0/jobs/warm-${i}`,
    body: JSON.stringify({ dueTime: new Date(now).toISOString(), data: { due: now } }),
  }));
  if (delivered.statuses['204'] !== options.warmupJobs) throw new Error(`warm-up scheduling: ${JSON.stringify(delivered.statuses)}: ${delivered.samples.join(' | ')}`);
  if (!(await waitForCount(receiverUrl, options.warmupJobs, Date.now() + options.drainTimeoutMs))) throw new Error('warm-up jobs were not all delivered');
  const far = await sendAll(duetimeUrl, options.warmupJobs, options.concurrency, (i) => ({
    path: `/v1.0/jobs/warmfar-${i}`,
    body: JSON.stringify({ dueTime: '2030-01-01T00:00:00Z', data: { due: 0 } }),
  }));
  if (far.statuses['204'] !== options.warmupJobs) throw new Error(`warm-up scheduling: ${JSON.stringify(far.statuses)}: ${far.samples.join(' | ')}`);
  const perS = Math.round(options.warmupJobs / ((far.endedAt - far.startedAt) / 1000));
  ctx.log(`warm-up: ${options.warmupJobs} delivered, then ${options.warmupJobs} more scheduled at ${perS}/s`);
  return { jobs: options.warmupJobs, perS };
}

interface ReceiverStats {
  names: string[];
  receivedAt: number[];
  dueAt: Array<number | null>;
  attempts: number[];
}

function onlySteady(stats: ReceiverStats): ReceiverStats {
  const keep: number[] = [];
  stats.names.forEach((n, i) => n.startsWith('steady-') && keep.push(i));
  return {
    names: keep.map((i) => stats.names[i]!),
    receivedAt: keep.map((i) => stats.receivedAt[i]!),
    dueAt: keep.map((i) => stats.dueAt[i] ?? null),
    attempts: keep.map((i) => stats.attempts[i]!),
  };
}

function summarise(name: string, options: SteadyOptions, t0: number, stats: ReceiverStats, eventLoop: EventLoopDelay, complete: boolean) {
  const n = stats.names.length;
  const distinct = new Set(stats.names).size;
  let early = 0;
  let unreadable = 0;
  let retries = 0;
  const lateness: number[] = [];
  const late: Array<{ due: number; late: number }> = [];
  for (let i = 0; i < n; i++) {
    const due = stats.dueAt[i];
    if ((stats.attempts[i] ?? 1) > 1) retries++;
    if (due === null || due === undefined) {
      unreadable++;
      continue;
    }
    const l = stats.receivedAt[i]! - due;
    if (l < 0) early++;
    lateness.push(l);
    if (l > EPISODE_LATE_MS) late.push({ due, late: l });
  }
  const sorted = ascending(lateness);
  const episodes = lateEpisodes(late, t0);
  const lastAt = Math.max(...stats.receivedAt, t0);
  return {
    name,
    options,
    t0: new Date(t0).toISOString(),
    complete,
    delivered: n,
    distinct,
    duplicates: n - distinct,
    missing: options.jobs - distinct,
    early,
    unreadable,
    retries,
    latenessMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      max: sorted[sorted.length - 1] ?? Number.NaN,
    },
    episodes: [...episodes].sort((a, b) => b.maxLateMs - a.maxLateMs).slice(0, 10),
    episodeCount: episodes.length,
    eventLoop,
    window: { t0, lastAt },
  };
}

/** Groups late deliveries by due instant into episodes, in time order. */
function lateEpisodes(late: Array<{ due: number; late: number }>, t0: number): LateEpisode[] {
  late.sort((a, b) => a.due - b.due);
  const episodes: LateEpisode[] = [];
  let current: { first: number; last: number; jobs: number; max: number } | undefined;
  const push = (): void => {
    if (current) episodes.push({ atMs: current.first - t0, spanMs: current.last - current.first, jobs: current.jobs, maxLateMs: current.max });
  };
  for (const { due, late: l } of late) {
    if (current && due - current.last <= EPISODE_GAP_MS) {
      current.last = due;
      current.jobs++;
      current.max = Math.max(current.max, l);
      continue;
    }
    push();
    current = { first: due, last: due, jobs: 1, max: l };
  }
  push();
  return episodes;
}

function eventLoopDelay(metrics: Metrics, before: Metrics): EventLoopDelay {
  const ms = (series: string): number => Math.round(metric(metrics, series) * 1e4) / 10;
  // The never-reset histogram: what the run added between the scrape before T0 and this one.
  const during = (series: string): number => metric(metrics, series) - metric(before, series);
  const samples = during('duetime_event_loop_delay_seconds_count');
  return {
    p50Ms: ms('nodejs_eventloop_lag_p50_seconds'),
    p90Ms: ms('nodejs_eventloop_lag_p90_seconds'),
    p99Ms: ms('nodejs_eventloop_lag_p99_seconds'),
    maxMs: ms('nodejs_eventloop_lag_max_seconds'),
    meanMs: ms('nodejs_eventloop_lag_mean_seconds'),
    samples,
    over5Ms: samples - during('duetime_event_loop_delay_seconds_bucket{le="0.005"}'),
    over20Ms: samples - during('duetime_event_loop_delay_seconds_bucket{le="0.02"}'),
  };
}

async function waitForCount(receiverUrl: string, count: number, deadline: number): Promise<boolean> {
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
