// Stage "engine-ceiling" (issue 12 item 2): what the engine alone can fire per second. In this
// process, no HTTP and no network: the engine on the memory store, then on a SQLite file, with a
// deliverer that answers "done" at once. N one-shot jobs are scheduled through JobsService (as the
// API would) due at one instant `leadMs` ahead; the drain is the time from that instant until the
// last outcome is committed. The difference between the two stores is the store's cost; the
// difference from the HTTP burst (stage 2) is delivery's.

import { join } from 'node:path';
import { MemoryJobStore } from '../src/adapters/store-memory/index.js';
import { SqliteJobStore } from '../src/adapters/store-sqlite/index.js';
import { JobsService } from '../src/app/jobs-service.js';
import { systemClock } from '../src/core/clock.js';
import { Engine } from '../src/core/engine/engine.js';
import type { JobStore } from '../src/core/ports/job-store.js';
import type { Deliverer } from '../src/core/ports/deliverer.js';
import { sleep, type StageContext } from './lib/stage.js';

export interface EngineCeilingOptions {
  jobs: number;
  /** Due this far after the first schedule: long enough for every schedule to land first. */
  leadMs: number;
  drainTimeoutMs: number;
}

export const defaultEngineCeilingOptions: EngineCeilingOptions = { jobs: 100_000, leadMs: 15_000, drainTimeoutMs: 60_000 };

export interface EngineCeilingRun {
  store: 'memory' | 'sqlite';
  scheduleMs: number;
  /** Due instant to the last committed outcome. */
  drainMs: number;
  perS: number;
  /**
   * The process's CPU time (process.cpuUsage, every thread: GC, SQLite) from the due instant to
   * the last commit, per trigger: the figure to compare when the machine is shared, where the
   * drain measures the other tenants as much as the engine.
   */
  cpuMicrosPerTrigger: number;
  delivered: number;
  early: number;
  duplicates: number;
  latenessMs: { p50: number; p99: number; max: number };
}

export interface EngineCeilingResult {
  options: EngineCeilingOptions;
  runs: EngineCeilingRun[];
}

export async function runEngineCeiling(ctx: StageContext, options: EngineCeilingOptions): Promise<EngineCeilingResult> {
  const runs: EngineCeilingRun[] = [];
  for (const store of ['memory', 'sqlite'] as const) {
    const opened: JobStore = store === 'memory' ? new MemoryJobStore() : new SqliteJobStore({ path: join(ctx.dir, 'ceiling.db') });
    try {
      runs.push(await measure(ctx, store, opened, options));
    } finally {
      await opened.close();
    }
  }
  return { options, runs };
}

async function measure(ctx: StageContext, store: 'memory' | 'sqlite', jobStore: JobStore, options: EngineCeilingOptions): Promise<EngineCeilingRun> {
  const firedAt: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let early = 0;
  const deliverer: Deliverer = {
    deliver: async (trigger) => {
      const now = Date.now();
      if (now < trigger.scheduledAt) early++;
      if (seen.has(trigger.key.name)) duplicates++;
      seen.add(trigger.key.name);
      firedAt.push(now - trigger.scheduledAt);
      return { kind: 'done' };
    },
  };
  const engine = new Engine(jobStore, deliverer, systemClock, {});
  let committed = 0;
  let lastCommittedAt = 0;
  let cpuAtDue: NodeJS.CpuUsage | undefined;
  let drainCpu: NodeJS.CpuUsage | undefined;
  // 'finished' comes after the job's last outcome is committed; 'attempted' (as this counted
  // before) is emitted when the outcome is decided, before its commit, so the SQLite run left
  // out the writes of whatever batch was still open at the end.
  engine.events.on('finished', () => {
    committed++;
    lastCommittedAt = Date.now();
    if (committed === options.jobs && cpuAtDue) drainCpu = process.cpuUsage(cpuAtDue);
  });
  const jobs = new JobsService(jobStore, engine, systemClock);
  await engine.start();
  try {
    const started = Date.now();
    const dueAt = started + options.leadMs;
    const body = { dueTime: new Date(dueAt).toISOString(), data: { n: 1 } };
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < options.jobs; i++) {
      pending.push(jobs.schedule({ namespace: 'default', appId: 'bench', name: `ceiling-${i}` }, body));
      if (pending.length >= 1_000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const scheduleMs = Date.now() - started;
    ctx.log(`${store}: ${options.jobs} scheduled in ${scheduleMs} ms; due in ${dueAt - Date.now()} ms`);
    if (Date.now() >= dueAt) throw new Error(`${store}: scheduling took ${scheduleMs} ms, past the ${options.leadMs} ms lead: raise leadMs`);
    while (Date.now() < dueAt - 5) await sleep(2);
    cpuAtDue = process.cpuUsage();
    const deadline = dueAt + options.drainTimeoutMs;
    while (committed < options.jobs && Date.now() < deadline) await sleep(5);
    const drainMs = lastCommittedAt - dueAt;
    const sorted = [...firedAt].sort((a, b) => a - b);
    const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
    const run: EngineCeilingRun = {
      store,
      scheduleMs,
      drainMs,
      perS: Math.round((committed / Math.max(1, drainMs)) * 1000),
      cpuMicrosPerTrigger: drainCpu ? (drainCpu.user + drainCpu.system) / committed : Number.NaN,
      delivered: seen.size,
      early,
      duplicates,
      latenessMs: { p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1] ?? Number.NaN },
    };
    ctx.log(`${store}: ${committed} committed in ${drainMs} ms (${run.perS}/s, CPU ${run.cpuMicrosPerTrigger.toFixed(1)} us per trigger), lateness p50 ${run.latenessMs.p50} p99 ${run.latenessMs.p99} max ${run.latenessMs.max} ms`);
    return run;
  } finally {
    await engine.stop();
  }
}
