// Stage ten-million (issue 12 item 4): what 10,000,000 stored jobs cost the SQLite store, against
// an empty store in the same run. Not in the default set: the fill alone takes minutes.
//
// 1. A data dir is filled with `jobs` one-shot jobs of app "app", due across the next year (none
//    enters the look-ahead window), by bench/lib/sqlite-fill.ts: the server's own request parser
//    and store statements, 50,000 creates per transaction, straight into the file. The disk it
//    takes is read from the file (SQLite's dbstat, per table and index).
// 2. Duetime (dist/) is started on it and on an empty data dir, each timed from spawn to /readyz
//    answering 200; each is then restarted (SIGTERM, start again) `restarts` times, alternating,
//    and timed again: the median is the restart figure. Most of it is Node starting and loading
//    the server, which the store does not change, so the store's own share is timed apart, in this
//    process, on the full file after the run: opening it and the reads a start makes (the
//    refill's due query, the live and staged counts, a sweep page). RSS is read from /proc after
//    `settleMs` idle.
// 3. Scheduling over HTTP: wrk (64 connections, bench/wrk/schedule-jobs.lua, as stage 1) for
//    `wrkDurationS`, alternating the empty and the full server for `rounds` rounds; the ratio
//    full/empty per round, and its median.
// 4. A burst: `burstJobs` one-shots due at one instant `burstLeadMs` ahead, delivered to a
//    receiving app (bench/burst-receiver.js), on the empty server and then on the full one:
//    drain time (last delivery minus the due instant) and lateness; none early, none twice. The
//    lead is raised to three times what the slowest wrk round says scheduling the burst takes, so
//    that on a loaded machine the burst is still all stored before it is due.
// 5. RSS after the burst; then the full server is stopped and the file measured again (rows
//    counted, file + WAL bytes per row).

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteJobStore } from '../src/adapters/store-sqlite/index.js';
import { startDuetime, startHelper, type DuetimeServer } from './lib/duetime-server.js';
import { sendAll } from './lib/http-load.js';
import { procMemory } from './lib/proc-memory.js';
import { countJobs } from './lib/sqlite-count.js';
import { diskUse, fillJobs, type DiskUse } from './lib/sqlite-fill.js';
import { sleep, subdir, type StageContext } from './lib/stage.js';
import { ascending, percentile, round } from './lib/stats.js';
import type { Verdict } from './lib/targets.js';
import { count2xx, runWrk } from './lib/wrk.js';

export interface TenMillionOptions {
  jobs: number;
  /** Restarts of each server, alternating, after the first start; the median is reported. */
  restarts: number;
  rounds: number;
  wrkDurationS: number;
  burstJobs: number;
  /** The least lead from scheduling the burst to its due instant; raised when scheduling is slow (see burstLead). */
  burstLeadMs: number;
  concurrency: number;
  settleMs: number;
  drainTimeoutMs: number;
}

export const defaultTenMillionOptions: TenMillionOptions = {
  jobs: 10_000_000,
  restarts: 3,
  rounds: 3,
  wrkDurationS: 10,
  burstJobs: 20_000,
  burstLeadMs: 15_000,
  concurrency: 64,
  settleMs: 5_000,
  drainTimeoutMs: 120_000,
};

/** The stage's time limit: 100 µs per job for the fill (four times what it took here) and 20 min for the rest. */
export function tenMillionBudgetS(options: TenMillionOptions): number {
  return 1_200 + Math.ceil(options.jobs / 10_000);
}

export const TEN_MILLION_TARGETS = { rssMiB: 300, restartMs: 2_000, bytesPerJob: 400, schedulingRatio: 0.8 } as const;

const FILE = 'duetime.db';
const MiB = 1024 * 1024;

interface Side {
  /** Spawn to /readyz 200, first start and restart (median of restartsMs), ms. */
  startMs: number;
  restartMs: number;
  restartsMs: number[];
  rssAfterStartBytes: number;
  rssAfterBurstBytes: number;
  peakRssBytes: number;
  schedulingPerS: number[];
  burst: BurstMeasure;
}

interface BurstMeasure {
  leadMs: number;
  scheduledInMs: number;
  /** Scheduling ended after the due instant: the drain then measures scheduling too. */
  scheduledLate: boolean;
  drainMs: number;
  latenessMs: { p50: number; p99: number; max: number };
  delivered: number;
  distinct: number;
  early: number;
  complete: boolean;
}

export interface TenMillionResult {
  options: TenMillionOptions;
  fill: { durationMs: number; perS: number };
  /** Right after the fill, before any server opened the file. */
  diskAfterFill: DiskUse & { bytesPerJob: number };
  /** After the full server stopped: rows (the fill, wrk's and none of the delivered burst) and bytes per row. */
  diskAfterRun: { fileBytes: number; walBytes: number; rows: number; bytesPerJob: number };
  /** In this process, on the full file after the run: what opening the store and a start's reads took, ms. */
  storeStartMs: { open: number; due: number; counts: number; sweep: number; total: number };
  empty: Side;
  full: Side;
  /** full / empty scheduling rate per round, and the median. */
  schedulingRatios: number[];
  schedulingRatio: number;
  duetimeCommand: string;
}

export async function runTenMillion(ctx: StageContext, options: TenMillionOptions): Promise<TenMillionResult> {
  const receiver = await startHelper(ctx.scope, 'receiver', 'burst-receiver.js');
  const emptyDir = subdir(ctx, 'empty');
  const fullDir = subdir(ctx, 'full');
  const fullPath = join(fullDir, FILE);

  ctx.log(`filling ${options.jobs.toLocaleString('en-US')} jobs`);
  const fill = await fillJobs({
    path: fullPath,
    count: options.jobs,
    prefix: 'tm-',
    firstDueAt: Date.now() + 86_400_000,
    spreadMs: 365 * 86_400_000,
    progress: (done) => ctx.log(`filled ${done.toLocaleString('en-US')}`),
  });
  ctx.log(`filled in ${Math.round(fill.durationMs / 1000)} s (${fill.perS}/s)`);
  const afterFill = diskUse(fullPath, size(fullPath), size(`${fullPath}-wal`));
  const diskAfterFill = { ...afterFill, bytesPerJob: round((afterFill.fileBytes + afterFill.walBytes) / options.jobs, 1) };
  ctx.log(`disk: ${diskAfterFill.bytesPerJob} bytes per job`);

  const start = async (name: string, dataDir: string): Promise<{ server: DuetimeServer; ms: number }> => {
    const began = Date.now();
    const server = await startDuetime(ctx.scope, name, { dataDir, appUrl: receiver.url });
    return { server, ms: Date.now() - began };
  };
  const restart = async (server: DuetimeServer, name: string, dataDir: string): Promise<{ server: DuetimeServer; ms: number }> => {
    await server.process.stop('SIGTERM');
    return start(name, dataDir);
  };
  const rss = (server: DuetimeServer): number => procMemory(server.process.child.pid).rssBytes;

  let empty = await start('empty', emptyDir);
  let full = await start('full', fullDir);
  const firstStart = { empty: empty.ms, full: full.ms };
  ctx.log(`first start to ready: empty ${empty.ms} ms, full ${full.ms} ms`);
  const restartsMs = { empty: [] as number[], full: [] as number[] };
  for (let i = 1; i <= options.restarts; i++) {
    empty = await restart(empty.server, `empty-${i + 1}`, emptyDir);
    full = await restart(full.server, `full-${i + 1}`, fullDir);
    restartsMs.empty.push(empty.ms);
    restartsMs.full.push(full.ms);
    ctx.log(`restart ${i} to ready: empty ${empty.ms} ms, full ${full.ms} ms`);
  }
  await sleep(options.settleMs);
  const rssAfterStart = { empty: rss(empty.server), full: rss(full.server) };
  ctx.log(`RSS after start: empty ${mib(rssAfterStart.empty)} MiB, full ${mib(rssAfterStart.full)} MiB`);

  const perS = { empty: [] as number[], full: [] as number[] };
  const ratios: number[] = [];
  for (let r = 1; r <= options.rounds; r++) {
    for (const side of ['empty', 'full'] as const) {
      const server = side === 'empty' ? empty.server : full.server;
      const wrk = await runWrk(ctx.scope, `wrk-${side}-${r}`, { url: server.url, threads: 2, connections: options.concurrency, durationS: options.wrkDurationS, prefix: `tm-r${r}` });
      const failures = wrk.responses - count2xx(wrk);
      if (failures > 0) throw new Error(`${failures} scheduling responses on the ${side} server were not 2xx: ${JSON.stringify(wrk.statuses)}`);
      perS[side].push(Math.round(count2xx(wrk) / (wrk.durationUs / 1e6)));
    }
    ratios.push(round(perS.full[r - 1]! / perS.empty[r - 1]!, 3));
    ctx.log(`scheduling round ${r}: empty ${perS.empty[r - 1]}/s, full ${perS.full[r - 1]}/s (${ratios[r - 1]})`);
  }

  const slowest = Math.min(...perS.empty, ...perS.full);
  const leadMs = Math.min(120_000, Math.max(options.burstLeadMs, Math.ceil((3 * options.burstJobs * 1000) / Math.max(1, slowest))));
  const bursts = {
    empty: await burst(ctx, empty.server.url, receiver.url, 'burst-empty-', options, leadMs),
    full: await burst(ctx, full.server.url, receiver.url, 'burst-full-', options, leadMs),
  };
  await sleep(options.settleMs);
  const side = (which: 'empty' | 'full', s: { server: DuetimeServer }): Side => ({
    startMs: firstStart[which],
    restartMs: percentile(ascending(restartsMs[which]), 50),
    restartsMs: restartsMs[which],
    rssAfterStartBytes: rssAfterStart[which],
    rssAfterBurstBytes: rss(s.server),
    peakRssBytes: procMemory(s.server.process.child.pid).peakRssBytes,
    schedulingPerS: perS[which],
    burst: bursts[which],
  });
  const result = { empty: side('empty', empty), full: side('full', full) };
  ctx.log(`RSS after the burst: empty ${mib(result.empty.rssAfterBurstBytes)} MiB, full ${mib(result.full.rssAfterBurstBytes)} MiB`);

  await full.server.process.stop('SIGTERM');
  const rows = countJobs(fullDir);
  const fileBytes = size(fullPath);
  const walBytes = size(`${fullPath}-wal`);
  const storeStartMs = await timeStoreStart(fullPath);
  ctx.log(`store open and start reads on the full file: ${storeStartMs.total} ms`);
  const sorted = ascending(ratios);
  return {
    options,
    fill,
    diskAfterFill,
    diskAfterRun: { fileBytes, walBytes, rows, bytesPerJob: round((fileBytes + walBytes) / rows, 1) },
    storeStartMs,
    ...result,
    schedulingRatios: ratios,
    schedulingRatio: percentile(sorted, 50),
    duetimeCommand: full.server.command,
  };
}

/** Schedules the burst over HTTP, due at one instant, and waits for the receiver to have it all. */
async function burst(ctx: StageContext, url: string, receiverUrl: string, prefix: string, options: TenMillionOptions, leadMs: number): Promise<BurstMeasure> {
  const dueAt = Date.now() + leadMs;
  const body = JSON.stringify({ dueTime: new Date(dueAt).toISOString() });
  const sent = await sendAll(url, options.burstJobs, options.concurrency, (i) => ({ path: `/v1.0/jobs/${prefix}${i}`, body }));
  const ok = sent.statuses['204'] ?? 0;
  if (ok !== options.burstJobs) throw new Error(`burst ${prefix}: ${ok} of ${options.burstJobs} scheduled (${JSON.stringify(sent.statuses)}; ${sent.samples.join('; ')})`);
  const scheduledInMs = sent.endedAt - sent.startedAt;
  if (sent.endedAt > dueAt) ctx.log(`burst ${prefix}: scheduling ended ${sent.endedAt - dueAt} ms after the due instant`);
  const deadline = dueAt + options.drainTimeoutMs;
  let stats = await receiverStats(receiverUrl, prefix);
  while (stats.distinct < options.burstJobs && Date.now() < deadline) {
    await sleep(250);
    stats = await receiverStats(receiverUrl, prefix);
  }
  const lateness = ascending(stats.lateness);
  const measure: BurstMeasure = {
    leadMs,
    scheduledInMs,
    scheduledLate: sent.endedAt > dueAt,
    drainMs: stats.lastAt - dueAt,
    latenessMs: { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness[lateness.length - 1] ?? Number.NaN },
    delivered: stats.delivered,
    distinct: stats.distinct,
    early: stats.early,
    complete: stats.distinct === options.burstJobs,
  };
  ctx.log(`burst ${prefix}: ${measure.distinct} delivered, drained ${measure.drainMs} ms after the due instant`);
  return measure;
}

async function receiverStats(receiverUrl: string, prefix: string): Promise<{ delivered: number; distinct: number; early: number; lastAt: number; lateness: number[] }> {
  const response = await fetch(`${receiverUrl}/stats`);
  const stats = (await response.json()) as { names: string[]; receivedAt: number[]; scheduledAt: (number | null)[] };
  const seen = new Set<string>();
  const lateness: number[] = [];
  let delivered = 0;
  let early = 0;
  let lastAt = 0;
  stats.names.forEach((name, i) => {
    if (!name.startsWith(prefix)) return;
    delivered++;
    seen.add(name);
    const at = stats.receivedAt[i]!;
    const scheduled = stats.scheduledAt[i];
    if (scheduled !== null && scheduled !== undefined) {
      lateness.push(at - scheduled);
      if (at < scheduled) early++;
    }
    lastAt = Math.max(lastAt, at);
  });
  return { delivered, distinct: seen.size, early, lastAt, lateness };
}

/** Opening the store and the reads a server makes as it starts, each timed (the file is not in use). */
async function timeStoreStart(path: string): Promise<TenMillionResult['storeStartMs']> {
  const t0 = performance.now();
  const store = new SqliteJobStore({ path });
  try {
    const t1 = performance.now();
    await store.dueBefore(Date.now() + 20_000, 50_000);
    const t2 = performance.now();
    await store.liveCounts();
    await store.stagedCounts();
    const t3 = performance.now();
    await store.purgeFinished(Date.now() - 86_400_000, 500);
    const t4 = performance.now();
    const ms = (a: number, b: number): number => round(b - a, 1);
    return { open: ms(t0, t1), due: ms(t1, t2), counts: ms(t2, t3), sweep: ms(t3, t4), total: ms(t0, t4) };
  } finally {
    await store.close();
  }
}

function size(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function mib(bytes: number): number {
  return round(bytes / MiB, 1);
}

export function tenMillionVerdicts(r: TenMillionResult | undefined): Verdict[] {
  if (!r) return [];
  const n = r.options.jobs.toLocaleString('en-US');
  const t = TEN_MILLION_TARGETS;
  const maxRss = Math.max(r.full.rssAfterStartBytes, r.full.rssAfterBurstBytes);
  return [
    { what: `${n} jobs: RSS (after start, after the burst)`, value: `${mib(r.full.rssAfterStartBytes)} / ${mib(r.full.rssAfterBurstBytes)} MiB`, target: `< ${t.rssMiB} MiB`, kind: 'target', ok: maxRss < t.rssMiB * MiB },
    { what: `${n} jobs: restart to /readyz (median of ${r.full.restartsMs.length}; empty store ${r.empty.restartMs} ms)`, value: `${r.full.restartMs} ms`, target: `< ${t.restartMs} ms`, kind: 'target', ok: r.full.restartMs < t.restartMs },
    { what: `${n} jobs: disk per job (file + WAL)`, value: `${r.diskAfterRun.bytesPerJob} bytes`, target: `<= ${t.bytesPerJob}`, kind: 'target', ok: r.diskAfterRun.bytesPerJob <= t.bytesPerJob },
    { what: `${n} jobs: scheduling rate / empty store's (median round)`, value: r.schedulingRatio.toFixed(2), target: `>= ${t.schedulingRatio}`, kind: 'target', ok: r.schedulingRatio >= t.schedulingRatio },
    { what: `${n} jobs: burst of ${r.options.burstJobs} all delivered, none early`, value: `${r.full.burst.distinct}, ${r.full.burst.early} early`, target: `${r.options.burstJobs}, 0 early`, kind: 'check', ok: r.full.burst.complete && r.full.burst.early === 0 && r.full.burst.delivered === r.full.burst.distinct },
    { what: 'empty store: burst all delivered, none early', value: `${r.empty.burst.distinct}, ${r.empty.burst.early} early`, target: `${r.options.burstJobs}, 0 early`, kind: 'check', ok: r.empty.burst.complete && r.empty.burst.early === 0 && r.empty.burst.delivered === r.empty.burst.distinct },
  ];
}
