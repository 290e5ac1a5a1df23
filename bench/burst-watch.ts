// Stage "burst-watch" (issue 12's second row): the burst of stage 2, 20,000 one-shot jobs due at
// one instant, delivered over WatchJobs instead of HTTP. The app's worker is the SDK's listen()
// in its own process (bench/watch-receiver.js), with no HTTP endpoint: Duetime hands each
// trigger down the stream and the handler acks it at once.
//
// As in stage 2: a warm-up first (2,000 jobs due now, delivered over the stream; then 2,000 due
// in 2030 to measure the scheduling rate, which sets the lead when 10 s would be tight), then the
// burst, scheduled over HTTP with 64 concurrent requests as app `watch` (dapr-app-id). Reported:
// drain (last arrival minus the due instant), lateness, early (an arrival before the due instant;
// must be 0), duplicates and missing jobs, live burst jobs left in the store afterwards, and the
// CPU per delivery of Duetime and of the worker.

import { join } from 'node:path';
import { peakRssMiB, PROJECT_DIR, startDuetime } from './lib/duetime-server.js';
import { envArgs } from './lib/env-args.js';
import { sendAll } from './lib/http-load.js';
import { cpuMicrosPer, cpuSeconds, mainThreadCpuSeconds } from './lib/proc-cpu.js';
import { tail } from './lib/processes.js';
import { fetchJson, onlyPrefix, summariseDrain, waitForCount, type ReceiverStats } from './lib/receiver-records.js';
import { countJobs } from './lib/sqlite-count.js';
import { sleep, subdir, type StageContext } from './lib/stage.js';
import { leadAndDueAt, type DrainedRun, type TimedRunOptions } from './lib/timed-run.js';

export interface WatchBurstOptions extends TimedRunOptions {
  /** The app the jobs belong to and listen() receives for. */
  appId: string;
}

export const defaultWatchBurstOptions: WatchBurstOptions = { jobs: 20_000, warmupJobs: 2_000, leadMs: 10_000, concurrency: 64, drainTimeoutMs: 60_000, settleMs: 2_000, appId: 'watch' };

export interface WatchBurstResult extends DrainedRun {
  options: WatchBurstOptions;
  scheduling: { durationMs: number; perS: number };
  /** Live wburst-* jobs left in the store after the drain (must be 0). */
  storedAfter: number;
  /** CPU (user + system) per delivery, from 300 ms before the due instant to the drain's end. */
  cpu: { duetimeMicrosPerDelivery: number; duetimeMainThreadMicrosPerDelivery: number; workerMicrosPerDelivery: number };
  duetimeCommand: string;
}

const PREFIX = 'wburst-';

export async function runWatchBurst(ctx: StageContext, options: WatchBurstOptions): Promise<WatchBurstResult> {
  const dataDir = subdir(ctx, 'duetime-data');
  // BENCH_WATCH_NODE_ARGS="--cpu-prof --cpu-prof-dir DIR": profile the server by hand (this stage has no profiled rerun).
  const duetime = await startDuetime(ctx.scope, 'duetime', { dataDir, nodeArgs: envArgs('BENCH_WATCH_NODE_ARGS') });
  const [, schedulerPort] = duetime.process.output().match(/"schedulerPort":(\d+)/) ?? [];
  if (!schedulerPort) throw new Error(`the "duetime is serving" line names no schedulerPort:\n${tail(duetime.process.output())}`);
  // BENCH_WATCH_WORKER_NODE_ARGS: the same for the SDK worker (it writes its profile on the stage's SIGTERM).
  const worker = ctx.scope.start('watch-worker', process.execPath, [...envArgs('BENCH_WATCH_WORKER_NODE_ARGS'), join(PROJECT_DIR, 'bench', 'watch-receiver.js'), `127.0.0.1:${schedulerPort}`, options.appId]);
  const [, workerPort] = await worker.waitForOutput(/listening (\d+)/, 30_000);
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  const headers = { 'dapr-app-id': options.appId };
  const schedule = async (prefix: string, count: number, dueTime: string): Promise<{ durationMs: number; perS: number }> => {
    const load = await sendAll(duetime.url, count, options.concurrency, (i) => ({ path: `/v1.0/jobs/${prefix}${i}`, body: JSON.stringify({ dueTime, data: { i } }), headers }));
    if (load.statuses['204'] !== count) throw new Error(`scheduling ${prefix}*: expected ${count} 204s, got ${JSON.stringify(load.statuses)}: ${load.samples.join(' | ')}`);
    const durationMs = load.endedAt - load.startedAt;
    return { durationMs, perS: Math.round(count / (durationMs / 1000)) };
  };

  // Warm-up: the stream and both code paths warm, then the scheduling rate on its own.
  await schedule('wwarm-', options.warmupJobs, new Date().toISOString());
  if (!(await waitForCount(workerUrl, options.warmupJobs, Date.now() + options.drainTimeoutMs))) throw new Error('warm-up jobs were not all delivered over WatchJobs');
  const far = await schedule('wwarmfar-', options.warmupJobs, '2030-01-01T00:00:00Z');
  const warmup = { jobs: options.warmupJobs, perS: far.perS };
  ctx.log(`warm-up: ${warmup.jobs} delivered over WatchJobs, then ${warmup.jobs} more scheduled at ${warmup.perS}/s`);

  const { leadMs, dueAt } = leadAndDueAt(options, warmup.perS);
  ctx.log(`scheduling ${options.jobs} jobs of app ${options.appId} due at ${new Date(dueAt).toISOString()} (lead ${leadMs} ms)`);
  const scheduling = await schedule(PREFIX, options.jobs, new Date(dueAt).toISOString());
  if (Date.now() >= dueAt) throw new Error(`scheduling the burst took ${scheduling.durationMs} ms and ended after the due instant`);
  ctx.log(`scheduled in ${scheduling.durationMs} ms; waiting for the drain`);

  await sleep(dueAt - 300 - Date.now());
  const pids = { duetime: duetime.process.child.pid, worker: worker.child.pid };
  const cpuBefore = { duetime: cpuSeconds(pids.duetime), duetimeMain: mainThreadCpuSeconds(pids.duetime), worker: cpuSeconds(pids.worker) };
  const complete = await waitForCount(workerUrl, options.warmupJobs + options.jobs, dueAt + options.drainTimeoutMs);
  const cpu = {
    duetimeMicrosPerDelivery: cpuMicrosPer(cpuBefore.duetime, cpuSeconds(pids.duetime), options.jobs),
    duetimeMainThreadMicrosPerDelivery: cpuMicrosPer(cpuBefore.duetimeMain, mainThreadCpuSeconds(pids.duetime), options.jobs),
    workerMicrosPerDelivery: cpuMicrosPer(cpuBefore.worker, cpuSeconds(pids.worker), options.jobs),
  };
  if (!complete) ctx.log(`not all arrivals within ${options.drainTimeoutMs} ms of the due instant`);
  await sleep(options.settleMs);
  const drain = summariseDrain(onlyPrefix(await fetchJson<ReceiverStats>(`${workerUrl}/stats`), PREFIX), dueAt, options.jobs);
  ctx.log(`drained in ${drain.drainMs} ms: ${drain.distinct} arrived, ${drain.duplicates} twice, ${drain.early} early, lateness p50 ${drain.latenessMs.p50} p99 ${drain.latenessMs.p99} ms`);
  ctx.log(`Duetime's CPU per delivery: ${cpu.duetimeMicrosPerDelivery} µs (main thread ${cpu.duetimeMainThreadMicrosPerDelivery}); peak RSS: ${peakRssMiB(duetime)} MiB`);
  await duetime.process.stop('SIGTERM', 30_000);
  await worker.stop();
  const storedAfter = countJobs(dataDir, PREFIX);
  return { options, leadMs, dueAt: new Date(dueAt).toISOString(), warmup, scheduling, complete, drain, storedAfter, cpu, duetimeCommand: duetime.command };
}
