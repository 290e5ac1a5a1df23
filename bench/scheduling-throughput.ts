// Stage 1: durable schedules per second over HTTP, with 64 keep-alive connections driven by wrk,
// against Duetime (from dist/, its own process, a fresh SQLite data dir) and against a bare
// node:http server answering 204 (the limit of one Node process on this machine).
//
// Each target gets a short warm-up (names warm-*), then `rounds` measured runs alternating bare
// and Duetime (names bench-r<round>-*): on a shared machine the neighbours' load changes from
// one run to the next, and alternating keeps each pair comparable. The round with the median
// Duetime rate is the headline; every round is reported. After the last run Duetime is killed
// with SIGKILL and its SQLite file opened read-only: every 204 must be a row on disk. The file can
// hold a few more rows than 204s, up to one per connection per run: requests wrk had written but
// whose answers it no longer read when it stopped.

import os from 'node:os';
import { countJobs } from './lib/sqlite-count.js';
import { startDuetime, startHelper } from './lib/duetime-server.js';
import { summariseProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { findProfile, subdir, type StageContext } from './lib/stage.js';
import { count2xx, runWrk, type WrkResult } from './lib/wrk.js';
import { round } from './lib/stats.js';
import { cpuMicrosPer, cpuSeconds } from './lib/proc-cpu.js';

export interface ThroughputOptions {
  connections: number;
  threads: number;
  durationS: number;
  warmupS: number;
  /**
   * Measured runs per target, bare and Duetime alternating, so each pair meets about the same
   * neighbours' load; the round with the median Duetime rate gives the headline numbers.
   */
  rounds: number;
}

export const defaultThroughputOptions: ThroughputOptions = { connections: 64, threads: 2, durationS: 10, warmupS: 2, rounds: 3 };

export interface TargetRun {
  /** 2xx responses per second of the measured run. */
  successPerS: number;
  responses: number;
  success: number;
  /** Responses that were not 2xx, plus wrk's socket errors and timeouts. */
  failures: number;
  statuses: Record<string, number>;
  sent: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** CPU (user + system) the server used per response during the measured run, from /proc. */
  cpuMicrosPerRequest: number;
  /** 1e6 / cpuMicrosPerRequest: the rate one core given wholly to the server would reach. */
  cpuBoundPerS: number;
  wrkCommand: string;
  serverCommand: string;
}

export interface StoreCheck {
  /** 204 answers of the measured runs. */
  acknowledged: number;
  /** bench-* rows in the jobs table after SIGKILL. */
  stored: number;
  /** Requests wrk had written. */
  sent: number;
  /** stored - acknowledged: requests in flight when wrk stopped that the server still committed. */
  unacknowledgedStored: number;
  ok: boolean;
}

export interface ThroughputRound {
  bare: TargetRun;
  duetime: TargetRun;
  ratio: number;
  /** 1-minute load average when the round ended. */
  load: number;
}

export interface ThroughputResult {
  options: ThroughputOptions;
  rounds: ThroughputRound[];
  /** Index of the round with the median Duetime rate, whose numbers follow. */
  medianRound: number;
  bare: TargetRun;
  duetime: TargetRun & { allResponses204: boolean; store: StoreCheck };
  /** Duetime's 2xx rate over the bare server's, in the median round. */
  ratio: number;
  /** The best round: what the machine allowed when the neighbours were quietest. */
  best: { duetimePerS: number; ratio: number };
}

export async function runSchedulingThroughput(ctx: StageContext, options: ThroughputOptions): Promise<ThroughputResult> {
  const bareServer = await startHelper(ctx.scope, 'bare-server', 'bare-server.js');
  const dataDir = subdir(ctx, 'duetime-data');
  const duetime = await startDuetime(ctx.scope, 'duetime', { dataDir });
  const targets = [
    { name: 'bare', url: bareServer.url, pid: bareServer.process.child.pid, command: 'node bench/bare-server.js' },
    { name: 'duetime', url: duetime.url, pid: duetime.process.child.pid, command: duetime.command },
  ] as const;
  for (const target of targets) await measure(ctx, target.url, options, `${target.name}-warmup`, target.pid, options.warmupS, 'warm');

  const rounds: ThroughputRound[] = [];
  const runs: MeasuredRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const prefix = `bench-r${round}`;
    const bareRun = await measure(ctx, bareServer.url, options, `bare-r${round}`, targets[0].pid, options.durationS, prefix);
    const run = await measure(ctx, duetime.url, options, `duetime-r${round}`, targets[1].pid, options.durationS, prefix);
    runs.push(run);
    const pair = { bare: targetRun(bareRun, targets[0].command), duetime: targetRun(run, targets[1].command) };
    const load = os.loadavg()[0] ?? Number.NaN;
    rounds.push({ ...pair, ratio: round3(pair.duetime.successPerS / pair.bare.successPerS), load: round3(load) });
    ctx.log(`round ${round}: duetime ${pair.duetime.successPerS}/s, bare ${pair.bare.successPerS}/s (load ${load.toFixed(2)})`);
  }
  await bareServer.process.stop();
  await duetime.process.stop('SIGKILL');

  const stored = countJobs(dataDir, 'bench-');
  const acknowledged = runs.reduce((sum, run) => sum + (run.statuses['204'] ?? 0), 0);
  const sent = runs.reduce((sum, run) => sum + run.sent, 0);
  const store: StoreCheck = {
    acknowledged,
    stored,
    sent,
    unacknowledgedStored: stored - acknowledged,
    ok: acknowledged <= stored && stored <= sent && stored - acknowledged <= options.connections * options.rounds,
  };
  const allResponses204 = runs.every((run) => (run.statuses['204'] ?? 0) === run.responses) && rounds.every((r) => r.duetime.failures === 0);
  ctx.log(`stored ${stored} rows for ${acknowledged} 204s`);

  const byRate = rounds.map((r, i) => ({ i, rate: r.duetime.successPerS })).sort((a, b) => a.rate - b.rate);
  const medianRound = byRate[Math.floor((byRate.length - 1) / 2)]!.i;
  const median = rounds[medianRound]!;
  const bestRound = rounds[byRate[byRate.length - 1]!.i]!;
  return {
    options,
    rounds,
    medianRound,
    bare: median.bare,
    duetime: { ...median.duetime, allResponses204, store },
    ratio: median.ratio,
    best: { duetimePerS: bestRound.duetime.successPerS, ratio: bestRound.ratio },
  };
}

function round3(value: number): number {
  return round(value, 3);
}

/**
 * The Duetime half again with node --cpu-prof, to see where the time goes; the summary covers the
 * measured run only (not start-up or warm-up). The profiler slows the process down somewhat.
 */
export async function profileSchedulingThroughput(
  ctx: StageContext,
  options: ThroughputOptions,
  monoOffsetUs: number,
): Promise<{ successPerS: number; profile: ProfileSummary; profileFile: string }> {
  const profileDir = subdir(ctx, 'profile');
  const duetime = await startDuetime(ctx.scope, 'duetime-profiled', {
    dataDir: subdir(ctx, 'profiled-data'),
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir],
  });
  const pid = duetime.process.child.pid;
  await measure(ctx, duetime.url, options, 'duetime-profiled-warmup', pid, options.warmupS, 'warm');
  const run = await measure(ctx, duetime.url, options, 'duetime-profiled', pid, options.durationS, 'bench');
  const code = await duetime.process.stop('SIGTERM', 30_000);
  if (code !== 0) throw new Error(`profiled duetime exited with ${code}; no profile written`);
  const profileFile = findProfile(profileDir);
  const profile = summariseProfile(profileFile, { fromMs: run.startedAt + 500, toMs: run.endedAt - 500, monoOffsetUs });
  return { successPerS: targetRun(run, duetime.command).successPerS, profile, profileFile };
}

type MeasuredRun = WrkResult & { serverCpuS: number };

/** One wrk run, with the server's CPU time over it. */
async function measure(
  ctx: StageContext,
  url: string,
  options: ThroughputOptions,
  name: string,
  serverPid: number | undefined,
  durationS: number,
  prefix: string,
): Promise<MeasuredRun> {
  const before = cpuSeconds(serverPid);
  const run = await runWrk(ctx.scope, `wrk-${name}`, { url, threads: options.threads, connections: options.connections, durationS, prefix });
  return { ...run, serverCpuS: cpuSeconds(serverPid) - before };
}

function targetRun(run: MeasuredRun, serverCommand: string): TargetRun {
  const success = count2xx(run);
  const socketErrors = run.errors.connect + run.errors.read + run.errors.write + run.errors.timeout;
  const ms = (us: number): number => round(us / 1000, 2);
  return {
    successPerS: Math.round(success / (run.durationUs / 1e6)),
    responses: run.responses,
    success,
    failures: run.responses - success + socketErrors,
    statuses: run.statuses,
    sent: run.sent,
    latencyMs: { p50: ms(run.latencyUs.p50), p90: ms(run.latencyUs.p90), p99: ms(run.latencyUs.p99), max: ms(run.latencyUs.max) },
    cpuMicrosPerRequest: cpuMicrosPer(0, run.serverCpuS, run.responses),
    cpuBoundPerS: Math.round(run.responses / run.serverCpuS),
    wrkCommand: run.command,
    serverCommand,
  };
}
