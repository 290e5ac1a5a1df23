// Stages "bullmq" and "bullmq-steady-1k" (issue 12 item 5): Duetime's shapes on BullMQ, for the
// report to print beside Duetime's of the same run. Redis is Debian's redis-server on a free
// loopback port (bench/lib/redis-server.ts); BullMQ's worker is its own process
// (bench/bullmq-worker.js), as Duetime is; jobs are added from this process with a Queue.
//
// "bullmq": the burst of stage 2. Each variant first has a warm-up (2,000 jobs due now,
// processed; then 2,000 due in 2030, added to measure the adding rate, which sets the lead when
// 10 s would be tight), then 20,000 jobs added with the delay that makes them all due at one
// instant (job timestamp + delay = the instant), each with a jobId of its name as Duetime jobs
// have names. Two variants, one after the other, each on its own queue:
//   http:  the worker (concurrency 64, an undici Pool of 64 connections) forwards each job over
//          HTTP to a receiving app (bench/burst-receiver.js, the same program stage 2 delivers to),
//          as Duetime delivers a trigger;
//   local: the worker's handler records the job in its own process: BullMQ's own ceiling, the
//          peer of the WatchJobs burst (no HTTP to the app there either).
// "bullmq-steady-1k": the shape of stage steady-1k: 10,000 jobs due evenly at 1,000/s from T0,
// 25 s ahead, each carrying its due instant in its data, forwarded over HTTP to the steady
// stages' receiver (bench/steady-receiver.js), which measures lateness against that instant;
// with the same lead-in as Duetime's (timed-run.ts, STEADY_LEAD_IN_MS), delivered, not measured.
//
// Reported per run: drain (last arrival minus the due instant) or lateness percentiles, early
// (must be 0), duplicates, missing, jobs not finished in Redis afterwards (waiting, active,
// delayed beyond the 2030 ones, failed), and the CPU per job of the worker and of Redis.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { PROJECT_DIR, startHelper } from './lib/duetime-server.js';
import { cpuMicrosPer, cpuSeconds } from './lib/proc-cpu.js';
import { startBenchRedis, type BenchRedis } from './lib/redis-server.js';
import { fetchJson, onlyPrefix, summariseDrain, waitForCount, type ReceiverStats } from './lib/receiver-records.js';
import { sleep, type StageContext } from './lib/stage.js';
import { leadAndDueAt, leadInJobs, STEADY_LEAD_IN_MS, type DrainedRun, type TimedRunOptions } from './lib/timed-run.js';

export interface BullmqOptions extends TimedRunOptions {
  /** The worker's concurrency, and its HTTP connections to the app (Duetime's delivery connections: 64). */
  concurrency: number;
  /** Jobs per addBulk call. */
  addBatch: number;
}

export const defaultBullmqOptions: BullmqOptions = { jobs: 20_000, warmupJobs: 2_000, leadMs: 10_000, concurrency: 64, drainTimeoutMs: 60_000, settleMs: 2_000, addBatch: 500 };

export interface BullmqSteadyOptions extends BullmqOptions {
  ratePerS: number;
}

/** The shape of stage steady-1k (bench/steady-lateness.ts): 10,000 at 1,000/s, 25 s ahead. */
export const defaultBullmqSteadyOptions: BullmqSteadyOptions = { ...defaultBullmqOptions, jobs: 10_000, leadMs: 25_000, drainTimeoutMs: 30_000, settleMs: 1_000, ratePerS: 1_000 };

export interface BullmqRun extends DrainedRun {
  mode: 'http' | 'local';
  queue: string;
  adding: { durationMs: number; perS: number };
  /** Jobs waiting, active, delayed (other than the warm-up's 2030 ones) or failed after the run (must be 0). */
  unfinished: number;
  failed: number;
  cpu: { workerMicrosPerJob: number; redisMicrosPerJob: number };
}

export interface BullmqResult {
  bullmqVersion: string;
  redisVersion: string;
  options: BullmqOptions;
  runs: BullmqRun[];
}

export interface BullmqSteadyResult extends Omit<BullmqResult, 'options'> {
  options: BullmqSteadyOptions;
}

export async function runBullmqBurst(ctx: StageContext, options: BullmqOptions): Promise<BullmqResult> {
  const redis = await startBenchRedis(ctx);
  const receiver = await startHelper(ctx.scope, 'receiver', 'burst-receiver.js');
  const runs: BullmqRun[] = [];
  for (const mode of ['http', 'local'] as const) {
    runs.push(await runOne(ctx, redis, mode, mode === 'http' ? receiver.url : undefined, options, 'bburst-', () => 0));
  }
  await receiver.process.stop();
  await redis.process.stop();
  return { bullmqVersion: bullmqVersion(), redisVersion: redis.version, options, runs };
}

export async function runBullmqSteady(ctx: StageContext, options: BullmqSteadyOptions): Promise<BullmqSteadyResult> {
  const redis = await startBenchRedis(ctx);
  const receiver = await startHelper(ctx.scope, 'receiver', 'steady-receiver.js');
  const spacingMs = 1000 / options.ratePerS;
  const leadIn = { prefix: 'bleadin-', jobs: leadInJobs(options.ratePerS), offsetOf: (i: number) => -STEADY_LEAD_IN_MS + Math.floor(i * spacingMs) };
  const run = await runOne(ctx, redis, 'http', receiver.url, options, 'bsteady-', (i) => Math.floor(i * spacingMs), leadIn);
  await receiver.process.stop();
  await redis.process.stop();
  return { bullmqVersion: bullmqVersion(), redisVersion: redis.version, options, runs: [run] };
}

/**
 * One run on its own queue: warm-up, then `jobs` jobs named prefix<i>, job i due at
 * T0 + offsetOf(i), T0 being lead ahead; a steady run's lead-in first, delivered, not measured.
 */
async function runOne(
  ctx: StageContext,
  redis: BenchRedis,
  mode: 'http' | 'local',
  receiverUrl: string | undefined,
  options: BullmqOptions,
  prefix: string,
  offsetOf: (i: number) => number,
  leadIn: { prefix: string; jobs: number; offsetOf: (i: number) => number } = { prefix: 'bleadin-', jobs: 0, offsetOf: () => 0 },
): Promise<BullmqRun> {
  const queueName = `bench-${prefix.replace(/-$/, '')}-${mode}`;
  const worker = ctx.scope.start(`bullmq-worker-${mode}`, process.execPath, [
    join(PROJECT_DIR, 'bench', 'bullmq-worker.js'),
    redis.url,
    queueName,
    mode,
    String(options.concurrency),
    ...(receiverUrl ? [receiverUrl] : []),
  ]);
  const [, workerPort] = await worker.waitForOutput(/listening (\d+)/, 30_000);
  // Where arrivals are counted: the app for http, the worker itself for local.
  const countUrl = receiverUrl ?? `http://127.0.0.1:${workerPort}`;
  const already = (await fetchJson<{ count: number }>(`${countUrl}/count`)).count;
  const queue = new Queue(queueName, { connection: { host: redis.host, port: redis.port } });
  try {
    // Warm-up: both processes' paths warm and the connections open; then the adding rate alone.
    await addJobs(queue, 'bwarm-', options.warmupJobs, options.addBatch, () => Date.now());
    if (!(await waitForCount(countUrl, already + options.warmupJobs, Date.now() + options.drainTimeoutMs))) throw new Error(`BullMQ ${mode}: warm-up jobs were not all processed`);
    const far = await addJobs(queue, 'bwarmfar-', options.warmupJobs, options.addBatch, () => Date.parse('2030-01-01T00:00:00Z'));
    const warmup = { jobs: options.warmupJobs, perS: far.perS };
    ctx.log(`${mode}: warm-up ${warmup.jobs} processed, then ${warmup.jobs} more added at ${warmup.perS}/s`);

    const { leadMs, dueAt: t0 } = leadAndDueAt(options, warmup.perS);
    const lastDue = t0 + offsetOf(options.jobs - 1);
    ctx.log(`${mode}: adding ${options.jobs} jobs due from ${new Date(t0).toISOString()} (lead ${leadMs} ms)`);
    await addJobs(queue, leadIn.prefix, leadIn.jobs, options.addBatch, (i) => t0 + leadIn.offsetOf(i));
    const adding = await addJobs(queue, prefix, options.jobs, options.addBatch, (i) => t0 + offsetOf(i));
    if (Date.now() >= t0 + leadIn.offsetOf(0)) throw new Error(`BullMQ ${mode}: adding took ${adding.durationMs} ms and ended after the first due instant`);

    // At T0 itself: the lead-in's jobs, due before it, are not counted in the CPU per job.
    await sleep(t0 - Date.now());
    const pids = { worker: worker.child.pid, redis: redis.process.child.pid };
    const cpuBefore = { worker: cpuSeconds(pids.worker), redis: cpuSeconds(pids.redis) };
    const complete = await waitForCount(countUrl, already + options.warmupJobs + leadIn.jobs + options.jobs, lastDue + options.drainTimeoutMs);
    const cpu = {
      workerMicrosPerJob: cpuMicrosPer(cpuBefore.worker, cpuSeconds(pids.worker), options.jobs),
      redisMicrosPerJob: cpuMicrosPer(cpuBefore.redis, cpuSeconds(pids.redis), options.jobs),
    };
    if (!complete) ctx.log(`${mode}: not all jobs arrived within ${options.drainTimeoutMs} ms of the last due instant`);
    await sleep(options.settleMs);
    const drain = summariseDrain(onlyPrefix(normalise(await fetchJson<ReceiverStats & { dueAt?: Array<number | null> }>(`${countUrl}/stats`)), prefix), t0, options.jobs);
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed');
    const failed = counts.failed ?? 0;
    const unfinished = (counts.wait ?? 0) + (counts.active ?? 0) + Math.max(0, (counts.delayed ?? 0) - options.warmupJobs) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0) + failed;
    ctx.log(
      `${mode}: last arrival ${drain.drainMs} ms after T0; ${drain.distinct} arrived, ${drain.duplicates} twice, ${drain.early} early; ` +
        `lateness p50 ${drain.latenessMs.p50} p99 ${drain.latenessMs.p99} p99.9 ${drain.latenessMs.p999} max ${drain.latenessMs.max} ms; ${unfinished} unfinished`,
    );
    return { mode, queue: queueName, leadMs, dueAt: new Date(t0).toISOString(), warmup, adding, complete, drain, unfinished, failed, cpu };
  } finally {
    await queue.close();
    await worker.stop();
  }
}

/** Adds count jobs named prefix<i> due at dueOf(i), addBatch per addBulk; the adding rate. */
async function addJobs(queue: Queue, prefix: string, count: number, addBatch: number, dueOf: (i: number) => number): Promise<{ durationMs: number; perS: number }> {
  const startedAt = Date.now();
  for (let from = 0; from < count; from += addBatch) {
    const now = Date.now();
    const batch = [];
    for (let i = from; i < Math.min(count, from + addBatch); i++) {
      const due = dueOf(i);
      const name = `${prefix}${i}`;
      // timestamp + delay is the instant BullMQ makes the job ready.
      batch.push({ name, data: { i, due }, opts: { jobId: name, timestamp: now, delay: Math.max(0, due - now) } });
    }
    await queue.addBulk(batch);
  }
  const durationMs = Date.now() - startedAt;
  return { durationMs, perS: Math.round(count / (Math.max(1, durationMs) / 1000)) };
}

/** The steady receiver names its column of due instants dueAt; the others scheduledAt. */
function normalise(stats: ReceiverStats & { dueAt?: Array<number | null> }): ReceiverStats {
  return { ...stats, scheduledAt: stats.scheduledAt ?? stats.dueAt ?? stats.names.map(() => null) };
}

function bullmqVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(PROJECT_DIR, 'node_modules', 'bullmq', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
