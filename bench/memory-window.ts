// Stage 3: memory does not grow with jobs due far ahead. One Duetime process is measured idle
// with 0 jobs (the baseline), then 100,000 jobs due across next year are scheduled into it and
// it is measured again once a refill of the look-ahead window has run; then it is restarted on
// the same file and measured a third time. The engine's in-memory window
// (duetime_engine_jobs{phase="in_memory"}) must be 0 after.
//
// Readings come from GET /metrics (prom-client's defaults, under their standard names). Each is
// taken twice: as found, and after a full GC, triggered through bench/gc-on-signal.js (preloaded
// with --expose-gc; SIGUSR2), so that live heap is told apart from garbage not yet collected.

import { startDuetime, type DuetimeServer } from './lib/duetime-server.js';
import { sendAll } from './lib/http-load.js';
import { fetchMetrics, metric } from './lib/prometheus.js';
import { countJobs } from './lib/sqlite-count.js';
import { sleep, subdir, type StageContext } from './lib/stage.js';
import { join } from 'node:path';
import { PROJECT_DIR } from './lib/duetime-server.js';

export interface MemoryOptions {
  jobs: number;
  concurrency: number;
  /** Wait after scheduling before reading: longer than one refill interval (lookahead / 4 = 5 s). */
  settleMs: number;
}

export const defaultMemoryOptions: MemoryOptions = { jobs: 100_000, concurrency: 64, settleMs: 7_000 };

export interface MemoryReading {
  rssBytes: number;
  heapUsedBytes: number;
  /** After a full GC. */
  gcRssBytes: number;
  gcHeapUsedBytes: number;
  inMemory: number;
}

export interface MemoryResult {
  options: MemoryOptions;
  baseline: MemoryReading;
  after: MemoryReading;
  restarted: MemoryReading;
  scheduling: { durationMs: number; perS: number; statuses: Record<string, number>; failures: number };
  stored: number;
  firstDue: string;
  lastDue: string;
  duetimeCommand: string;
}

const GC_PRELOAD = join(PROJECT_DIR, 'bench', 'gc-on-signal.js');

export async function runMemory(ctx: StageContext, options: MemoryOptions): Promise<MemoryResult> {
  const dataDir = subdir(ctx, 'duetime-data');
  const start = (name: string): Promise<DuetimeServer> =>
    startDuetime(ctx.scope, name, { dataDir, nodeArgs: ['--expose-gc', '--import', GC_PRELOAD] });

  let duetime = await start('duetime');
  await sleep(2_000);
  const baseline = await read(duetime);
  ctx.log(`baseline rss ${mib(baseline.rssBytes)} MiB, heap ${mib(baseline.heapUsedBytes)} MiB`);

  // Spread over next year, one every 5 minutes: a year's worth of distinct due instants.
  const firstDue = Date.UTC(new Date().getUTCFullYear() + 1, 0, 1);
  const stepMs = 5 * 60_000;
  const load = await sendAll(duetime.url, options.jobs, options.concurrency, (i) => ({
    path: `/v1.0/jobs/far-${i}`,
    body: JSON.stringify({ dueTime: new Date(firstDue + i * stepMs).toISOString(), data: { i } }),
  }));
  const durationMs = load.endedAt - load.startedAt;
  if (load.statuses['204'] !== options.jobs) {
    throw new Error(`scheduling ${options.jobs} jobs: ${JSON.stringify(load.statuses)}, ${load.failures} failures: ${load.samples.join(' | ')}`);
  }
  ctx.log(`scheduled ${options.jobs} in ${durationMs} ms; waiting ${options.settleMs} ms for a refill`);
  await sleep(options.settleMs);
  const after = await read(duetime);
  const stored = countJobs(dataDir, 'far-');

  await duetime.process.stop('SIGTERM', 30_000);
  duetime = await start('duetime-restarted');
  await sleep(options.settleMs);
  const restarted = await read(duetime);
  await duetime.process.stop('SIGTERM', 30_000);

  return {
    options,
    baseline,
    after,
    restarted,
    scheduling: { durationMs, perS: Math.round(options.jobs / (durationMs / 1000)), statuses: load.statuses, failures: load.failures },
    stored,
    firstDue: new Date(firstDue).toISOString(),
    lastDue: new Date(firstDue + (options.jobs - 1) * stepMs).toISOString(),
    duetimeCommand: duetime.command,
  };
}

async function read(duetime: DuetimeServer): Promise<MemoryReading> {
  const found = await fetchMetrics(duetime.url);
  const previous = duetime.process.output().match(/bench-gc-done \d+/g)?.length ?? 0;
  const gcDone = duetime.process.waitForOutput(new RegExp(`bench-gc-done ${previous + 1}\\b`), 10_000);
  duetime.process.child.kill('SIGUSR2');
  await gcDone;
  const collected = await fetchMetrics(duetime.url);
  return {
    rssBytes: metric(found, 'process_resident_memory_bytes'),
    heapUsedBytes: metric(found, 'nodejs_heap_size_used_bytes'),
    gcRssBytes: metric(collected, 'process_resident_memory_bytes'),
    gcHeapUsedBytes: metric(collected, 'nodejs_heap_size_used_bytes'),
    inMemory: metric(collected, 'duetime_engine_jobs{phase="in_memory"}'),
  };
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
