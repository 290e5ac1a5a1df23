// Stage 4 (issue 8): a million staged triggers cost the server no memory, and their release
// starves nobody. Staged triggers (one-shot jobs due now of an app with no consumer) wait in the
// store's staged index, not in memory; when the app registers an endpoint they go out a page at
// a time (the engine's releaseBatch).
//
// 1. Two receiving apps are started (bench/burst-receiver.js, each its own process): "live",
//    registered at once (PUT /v1.0/apps/live), and the one the staged app will get later.
// 2. Duetime (dist/, --expose-gc with bench/gc-on-signal.js, an empty data dir) is measured
//    idle: RSS and heap, as found and after a full GC.
// 3. `jobs` one-shot jobs of app "staged" (dapr-app-id header), each due at the instant it is
//    sent, are scheduled over HTTP (an undici Pool, `concurrency` connections). Each fires at
//    once, finds no consumer and is staged. The stage waits until GET /metrics reports
//    duetime_staged_triggers{app_id="staged"} = jobs, then measures again; then restarts the
//    server on the same data dir and measures a third time.
// 4. The release: `liveJobs` one-shot jobs of "live" are scheduled due every liveIntervalMs
//    from liveLeadMs after the registration of "staged"; then PUT /v1.0/apps/staged points the
//    staged app at its receiver. Measured: the time from that PUT to the last staged delivery,
//    the rate, and the live app's lateness (received - duetime-scheduled-time) while the
//    release runs. Both receivers check for early and duplicate deliveries; afterwards no
//    staged job may be left in the store.
//
// Memory comes from GET /metrics (prom-client) and /proc/<pid>/status (anonymous vs file-backed
// resident pages, and the peak). RSS after a full GC, taken once V8 has shrunk its young
// generation back to its floor (see read()), is the figure the target is checked on.

import { startDuetime, startHelper, type DuetimeServer, PROJECT_DIR } from './lib/duetime-server.js';
import { sendAll } from './lib/http-load.js';
import { procMemory, type ProcMemory } from './lib/proc-memory.js';
import { fetchMetrics, metric } from './lib/prometheus.js';
import { countJobs, countStaged } from './lib/sqlite-count.js';
import { sleep, subdir, type StageContext } from './lib/stage.js';
import { ascending, MiB, percentile } from './lib/stats.js';
import { join } from 'node:path';
import { Pool } from 'undici';

export interface StagedMemoryOptions {
  /** Staged triggers to build up. */
  jobs: number;
  /** Connections (and requests in flight) while scheduling them. */
  concurrency: number;
  /** Jobs of the other app, due during the release. */
  liveJobs: number;
  liveIntervalMs: number;
  /** The first live job is due this long after the staged app registers. */
  liveLeadMs: number;
  /** Give up waiting for the metrics to report every job staged after this long. */
  stagedWaitMs: number;
  /** Give up waiting for the release to deliver everything after this long. */
  drainTimeoutMs: number;
  /** Idle time before a reading (the server's start-up or the refill settles). */
  settleMs: number;
  /** Longest wait, before a reading, for V8's new space to shrink back to its floor (see read()). */
  shrinkWaitMs: number;
}

export const defaultStagedMemoryOptions: StagedMemoryOptions = {
  jobs: 1_000_000,
  concurrency: 64,
  liveJobs: 200,
  liveIntervalMs: 50,
  liveLeadMs: 2_000,
  stagedWaitMs: 300_000,
  drainTimeoutMs: 600_000,
  settleMs: 5_000,
  shrinkWaitMs: 30_000,
};

/** What the stage's time limit must cover besides scheduling (an upper bound, seconds). */
export const STAGED_MEMORY_BUDGET_S = 1_100;

export const TARGET_STAGED_RSS_MIB = 50;

const NAMESPACE = 'default';
const STAGED_APP = 'staged';
const LIVE_APP = 'live';
const GC_PRELOAD = join(PROJECT_DIR, 'bench', 'gc-on-signal.js');
/** V8's new space at rest (its initial size, 1 MiB, plus some slack). */
const NEW_SPACE_FLOOR_BYTES = 2 * MiB;

export interface StagedMemoryReading {
  rssBytes: number;
  heapUsedBytes: number;
  /** After a full GC: the figures the target is checked on. */
  gcRssBytes: number;
  gcHeapUsedBytes: number;
  /** V8's heap as committed (used + free space it keeps), and two of its spaces. */
  gcHeapTotalBytes: number;
  gcNewSpaceBytes: number;
  gcOldSpaceBytes: number;
  gcExternalBytes: number;
  /** From /proc after the GC. */
  proc: ProcMemory;
  /** duetime_staged_triggers of the staged app. */
  staged: number;
  /** duetime_engine_jobs{phase="in_memory"}. */
  inMemory: number;
}

export interface StagedMemoryResult {
  options: StagedMemoryOptions;
  empty: StagedMemoryReading;
  staged: StagedMemoryReading;
  restarted: StagedMemoryReading;
  /** RSS after GC with every job staged minus RSS after GC empty, MiB; and the same after the restart. */
  diffMiB: number;
  restartedDiffMiB: number;
  scheduling: { durationMs: number; perS: number; statuses: Record<string, number>; failures: number; samples: string[] };
  /** From the first request to the metrics reporting every job staged. */
  allStagedMs: number;
  /** Rows with staged_at set, read from the file after the restart's reading. */
  stagedRows: number;
  release: {
    complete: boolean;
    /** From the PUT that registered the staged app to its last delivery, ms. */
    durationMs: number;
    firstMs: number;
    perS: number;
    delivered: number;
    distinct: number;
    duplicates: number;
    early: number;
    /** Peak RSS of the restarted process (VmHWM), which covers the release. */
    peakRssBytes: number;
    after: StagedMemoryReading;
    /** Staged jobs left in the store after the release. */
    leftInStore: number;
  };
  live: {
    jobs: number;
    delivered: number;
    distinct: number;
    early: number;
    /** Live jobs due before the staged app's last delivery: scheduled while the release ran. */
    dueDuringRelease: number;
    latenessMs: { p50: number; p90: number; p99: number; max: number };
  };
  duetimeCommand: string;
}

export async function runStagedMemory(ctx: StageContext, options: StagedMemoryOptions): Promise<StagedMemoryResult> {
  const stagedReceiver = await startHelper(ctx.scope, 'staged-receiver', 'burst-receiver.js');
  const liveReceiver = await startHelper(ctx.scope, 'live-receiver', 'burst-receiver.js');
  const dataDir = subdir(ctx, 'duetime-data');
  const start = (name: string): Promise<DuetimeServer> =>
    startDuetime(ctx.scope, name, { dataDir, nodeArgs: ['--expose-gc', '--import', GC_PRELOAD] });

  let duetime = await start('duetime');
  await putApp(duetime.url, LIVE_APP, liveReceiver.url);
  await sleep(options.settleMs);
  const empty = await read(duetime, options.shrinkWaitMs);
  ctx.log(`empty: rss after GC ${mib(empty.gcRssBytes)} MiB, heap ${mib(empty.gcHeapUsedBytes)} MiB`);

  // Fill: every job due at the instant it is sent; it fires at once and is staged.
  ctx.log(`scheduling ${options.jobs} one-shot jobs of app "${STAGED_APP}" (no endpoint), due now`);
  const load = await sendAll(duetime.url, options.jobs, options.concurrency, (i) => ({
    path: `/v1.0/jobs/st-${i}`,
    body: JSON.stringify({ dueTime: new Date().toISOString(), data: { i } }),
    headers: { 'dapr-app-id': STAGED_APP },
  }));
  const durationMs = load.endedAt - load.startedAt;
  const scheduling = { durationMs, perS: Math.round(options.jobs / (durationMs / 1000)), statuses: load.statuses, failures: load.failures, samples: load.samples };
  if (load.statuses['204'] !== options.jobs) {
    throw new Error(`scheduling ${options.jobs} jobs: ${JSON.stringify(load.statuses)}, ${load.failures} failures: ${load.samples.join(' | ')}`);
  }
  ctx.log(`scheduled in ${durationMs} ms (${scheduling.perS}/s); waiting for /metrics to report all staged`);
  const stagedAt = await waitForStaged(duetime.url, options.jobs, Date.now() + options.stagedWaitMs, ctx);
  const allStagedMs = stagedAt - load.startedAt;
  await sleep(options.settleMs);
  const staged = await read(duetime, options.shrinkWaitMs);
  ctx.log(`${staged.staged} staged: rss after GC ${mib(staged.gcRssBytes)} MiB, heap ${mib(staged.gcHeapUsedBytes)} MiB`);

  await duetime.process.stop('SIGTERM', 30_000);
  duetime = await start('duetime-restarted');
  await sleep(options.settleMs);
  const restarted = await read(duetime, options.shrinkWaitMs);
  const stagedRows = countStaged(dataDir, NAMESPACE, STAGED_APP);
  ctx.log(`restarted: ${restarted.staged} staged (${stagedRows} rows), rss after GC ${mib(restarted.gcRssBytes)} MiB, heap ${mib(restarted.gcHeapUsedBytes)} MiB`);

  // The release, with the live app's jobs due while it runs.
  const putAt = Date.now() + 1_000;
  const firstLiveDue = putAt + options.liveLeadMs;
  const live = await sendAll(duetime.url, options.liveJobs, 8, (i) => ({
    path: `/v1.0/jobs/live-${i}`,
    body: JSON.stringify({ dueTime: new Date(firstLiveDue + i * options.liveIntervalMs).toISOString(), data: { i } }),
    headers: { 'dapr-app-id': LIVE_APP },
  }));
  if (live.statuses['204'] !== options.liveJobs) throw new Error(`scheduling the live jobs: ${JSON.stringify(live.statuses)}: ${live.samples.join(' | ')}`);
  await sleep(putAt - Date.now());
  const registeredAt = Date.now();
  await putApp(duetime.url, STAGED_APP, stagedReceiver.url);
  ctx.log(`registered "${STAGED_APP}"; waiting for ${options.jobs} deliveries`);
  const complete = await waitForCount(stagedReceiver.url, options.jobs, registeredAt + options.drainTimeoutMs, ctx);
  await waitForCount(liveReceiver.url, options.liveJobs, Math.max(Date.now(), firstLiveDue + options.liveJobs * options.liveIntervalMs) + 30_000);
  const peakRssBytes = procMemory(duetime.process.child.pid).peakRssBytes;
  await sleep(options.settleMs);
  const after = await read(duetime, options.shrinkWaitMs);
  const stagedStats = await fetchJson<ReceiverStats>(`${stagedReceiver.url}/stats`);
  const liveStats = await fetchJson<ReceiverStats>(`${liveReceiver.url}/stats`);
  await duetime.process.stop('SIGTERM', 30_000);
  const leftInStore = countJobs(dataDir, 'st-');

  const s = deliveries(stagedStats);
  // A loop, not Math.max(...): a million arguments overflow the stack.
  let firstAt = Number.NaN;
  let lastAt = Number.NaN;
  for (const at of s.received) {
    if (!(at >= firstAt)) firstAt = at;
    if (!(at <= lastAt)) lastAt = at;
  }
  const releaseMs = lastAt - registeredAt;
  const l = deliveries(liveStats);
  const lateness = ascending(l.lateness);
  return {
    options,
    empty,
    staged,
    restarted,
    diffMiB: round1((staged.gcRssBytes - empty.gcRssBytes) / MiB),
    restartedDiffMiB: round1((restarted.gcRssBytes - empty.gcRssBytes) / MiB),
    scheduling,
    allStagedMs,
    stagedRows,
    release: {
      complete,
      durationMs: releaseMs,
      firstMs: firstAt - registeredAt,
      perS: Math.round(s.distinct / (releaseMs / 1000)),
      delivered: s.delivered,
      distinct: s.distinct,
      duplicates: s.delivered - s.distinct,
      early: s.early,
      peakRssBytes,
      after,
      leftInStore,
    },
    live: {
      jobs: options.liveJobs,
      delivered: l.delivered,
      distinct: l.distinct,
      early: l.early,
      dueDuringRelease: l.scheduled.filter((at) => at <= lastAt).length,
      latenessMs: { p50: percentile(lateness, 50), p90: percentile(lateness, 90), p99: percentile(lateness, 99), max: lateness.at(-1) ?? Number.NaN },
    },
    duetimeCommand: duetime.command,
  };
}

async function putApp(baseUrl: string, appId: string, url: string): Promise<void> {
  const response = await fetch(`${baseUrl}/v1.0/apps/${appId}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
  const text = await response.text();
  if (response.status !== 204) throw new Error(`PUT /v1.0/apps/${appId}: ${response.status} ${text.slice(0, 300)}`);
}

function stagedSeries(metrics: Map<string, number>): number {
  return metric(metrics, `duetime_staged_triggers{namespace="${NAMESPACE}",app_id="${STAGED_APP}"}`);
}

/** Polls /metrics (every 2 s, until deadline) until the staged app has `expected` staged; returns when. */
async function waitForStaged(baseUrl: string, expected: number, deadline: number, ctx: StageContext): Promise<number> {
  let lastLog = 0;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = stagedSeries(await fetchMetrics(baseUrl)) || 0;
    if (seen >= expected) return Date.now();
    if (Date.now() - lastLog > 15_000) {
      ctx.log(`  ${seen} staged so far`);
      lastLog = Date.now();
    }
    await sleep(2_000);
  }
  throw new Error(`only ${seen} of ${expected} triggers staged by the deadline`);
}

/** Polls the receiver's count (every 500 ms, until deadline); true when it reached expected. */
async function waitForCount(receiverUrl: string, expected: number, deadline: number, ctx?: StageContext): Promise<boolean> {
  const pool = new Pool(receiverUrl, { connections: 1 });
  let lastLog = Date.now();
  try {
    while (Date.now() < deadline) {
      const response = await pool.request({ path: '/count', method: 'GET' });
      const { count } = (await response.body.json()) as { count: number };
      if (count >= expected) return true;
      if (ctx && Date.now() - lastLog > 15_000) {
        ctx.log(`  ${count} delivered so far`);
        lastLog = Date.now();
      }
      await sleep(500);
    }
    return false;
  } finally {
    await pool.close();
  }
}

interface ReceiverStats {
  names: string[];
  receivedAt: number[];
  scheduledAt: Array<number | null>;
  attempts: number[];
}

function deliveries(stats: ReceiverStats): { delivered: number; distinct: number; early: number; received: number[]; scheduled: number[]; lateness: number[] } {
  const first = new Map<string, number>();
  let early = 0;
  const lateness: number[] = [];
  const scheduled: number[] = [];
  stats.names.forEach((name, i) => {
    const received = stats.receivedAt[i]!;
    const at = stats.scheduledAt[i] ?? Number.NaN;
    if (received < at) early++;
    if (!first.has(name)) {
      first.set(name, received);
      lateness.push(received - at);
      scheduled.push(at);
    }
  });
  return { delivered: stats.names.length, distinct: first.size, early, received: [...first.values()], scheduled, lateness };
}

async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return (await response.json()) as T;
}

/**
 * One reading: as found, then after a full GC once V8 has shrunk its young generation. V8 grows
 * the new space (two semi-spaces, up to 16 MiB each) under a high allocation rate, and a gc()
 * leaves it grown; its memory reducer shrinks it back to 1 MiB only after some seconds of calm.
 * Read before that, the same server shows 20 to 30 MiB more RSS depending on what it did last,
 * which would swamp the difference measured here. So the reading waits (bounded) for the new
 * space to be back at its floor, and records it.
 */
async function read(duetime: DuetimeServer, shrinkWaitMs: number): Promise<StagedMemoryReading> {
  const found = await fetchMetrics(duetime.url);
  const deadline = Date.now() + shrinkWaitMs;
  let metrics = found;
  while (newSpace(metrics) > NEW_SPACE_FLOOR_BYTES && Date.now() < deadline) {
    await sleep(1_000);
    metrics = await fetchMetrics(duetime.url);
  }
  const previous = duetime.process.output().match(/bench-gc-done \d+/g)?.length ?? 0;
  const gcDone = duetime.process.waitForOutput(new RegExp(`bench-gc-done ${previous + 1}\\b`), 10_000);
  duetime.process.child.kill('SIGUSR2');
  await gcDone;
  await sleep(500); // let the allocator hand freed pages back before reading RSS
  const collected = await fetchMetrics(duetime.url);
  return {
    rssBytes: metric(found, 'process_resident_memory_bytes'),
    heapUsedBytes: metric(found, 'nodejs_heap_size_used_bytes'),
    gcRssBytes: metric(collected, 'process_resident_memory_bytes'),
    gcHeapUsedBytes: metric(collected, 'nodejs_heap_size_used_bytes'),
    gcHeapTotalBytes: metric(collected, 'nodejs_heap_size_total_bytes'),
    gcNewSpaceBytes: newSpace(collected),
    gcOldSpaceBytes: metric(collected, 'nodejs_heap_space_size_total_bytes{space="old"}'),
    gcExternalBytes: metric(collected, 'nodejs_external_memory_bytes'),
    proc: procMemory(duetime.process.child.pid),
    staged: stagedSeries(collected) || 0,
    inMemory: metric(collected, 'duetime_engine_jobs{phase="in_memory"}'),
  };
}

/** V8's new space as committed (prom-client's heap space gauge). */
function newSpace(metrics: Map<string, number>): number {
  return metric(metrics, 'nodejs_heap_space_size_total_bytes{space="new"}');
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
