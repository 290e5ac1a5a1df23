// The bench driver behind `npm run bench` (bench/run.sh builds first, then runs this):
//   node --import tsx bench/run-benchmarks.ts [--stages throughput,burst,memory]
//        [--profile auto|always|never] [--duration 10] [--rounds 3] [--burst-jobs 20000]
//        [--memory-jobs 100000] [--staged-jobs 1000000] [--ten-million-jobs 10000000]
//        [--cluster-jobs 10000] [--results-dir bench/results] [--no-docs]
// Runs each stage in turn, each bounded by a timeout and with its own processes killed when it
// ends, whatever happens. A target missed is reported (and, with --profile auto, profiled); a
// correctness check failing makes the exit code 1. Results: <results-dir>/<date>-<machine>.json
// and .md; with the default results dir, the "latest" block of docs/benchmarks.md too. A run of
// other stages than the default set (say --stages staged-memory, not in the default because it
// takes several minutes) is named <date>-<stages>-<machine> and leaves docs/benchmarks.md alone:
// the latest block there shows a full run.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultBurstOptions, profileBurst, runBurst } from './burst-delivery.js';
import { monoOffsetUs, type ProfileSummary } from './lib/cpu-profile.js';
import { PROJECT_DIR } from './lib/duetime-server.js';
import { loadSnapshot, machineInfo, machineLabel, sourceInfo } from './lib/machine.js';
import { renderLatestBlock, renderMarkdown } from './lib/report-markdown.js';
import type { BenchResults, StageLoad } from './lib/results.js';
import { stageContext, subdir, withTimeout, type StageContext } from './lib/stage.js';
import { verdicts } from './lib/targets.js';
import { defaultEngineCeilingOptions, runEngineCeiling } from './engine-ceiling.js';
import { defaultMemoryOptions, runMemory } from './memory-window.js';
import { defaultWatchBurstOptions, runWatchBurst } from './burst-watch.js';
import { defaultBullmqOptions, defaultBullmqSteadyOptions, runBullmqBurst, runBullmqSteady } from './bullmq-compare.js';
import { defaultClusterBurstOptions, defaultClusterThroughputOptions, runClusterBurst, runClusterFailover, runClusterThroughput } from './cluster-bench.js';
import { clusterVerdicts } from './lib/cluster-report.js';
import { peerVerdicts } from './lib/peer-report.js';
import { defaultStagedMemoryOptions, runStagedMemory, STAGED_MEMORY_BUDGET_S } from './staged-memory.js';
import { defaultTenMillionOptions, runTenMillion, tenMillionBudgetS, tenMillionVerdicts } from './ten-million.js';
import { defaultThroughputOptions, profileSchedulingThroughput, runSchedulingThroughput } from './scheduling-throughput.js';
import { defaultSteady1kOptions, defaultSteady5kOptions, profileSteady, runSteady, type SteadyOptions } from './steady-lateness.js';
import { steadyVerdicts } from './lib/steady-report.js';
import { MAX_LEAD_MS } from './lib/timed-run.js';

// ten-million (4 to 6 minutes here) runs last: its fill writes gigabytes, which would weigh on
// the timed stages after it while the kernel flushes them.
const DEFAULT_STAGES = 'throughput,burst,burst-watch,bullmq,memory,engine-ceiling,steady-5k,steady-1k,bullmq-steady-1k,cluster-throughput,cluster-burst,ten-million';
const { values: args } = parseArgs({
  options: {
    stages: { type: 'string', default: DEFAULT_STAGES },
    profile: { type: 'string', default: 'auto' },
    duration: { type: 'string', default: String(defaultThroughputOptions.durationS) },
    rounds: { type: 'string', default: String(defaultThroughputOptions.rounds) },
    'burst-jobs': { type: 'string', default: String(defaultBurstOptions.jobs) },
    'memory-jobs': { type: 'string', default: String(defaultMemoryOptions.jobs) },
    'staged-jobs': { type: 'string', default: String(defaultStagedMemoryOptions.jobs) },
    'ten-million-jobs': { type: 'string', default: String(defaultTenMillionOptions.jobs) },
    'ceiling-jobs': { type: 'string', default: String(defaultEngineCeilingOptions.jobs) },
    'cluster-jobs': { type: 'string', default: String(defaultClusterBurstOptions.jobs) },
    'results-dir': { type: 'string', default: join(PROJECT_DIR, 'bench', 'results') },
    'no-docs': { type: 'boolean', default: false },
  },
});
const stages = new Set(args.stages.split(',').map((s) => s.trim()));
const isDefaultStages = [...stages].sort().join(',') === DEFAULT_STAGES.split(',').sort().join(',');
const throughputOptions = { ...defaultThroughputOptions, durationS: Number(args.duration), rounds: Math.max(1, Number(args.rounds)) };
const burstOptions = { ...defaultBurstOptions, jobs: Number(args['burst-jobs']) };
const memoryOptions = { ...defaultMemoryOptions, jobs: Number(args['memory-jobs']) };
const stagedMemoryOptions = { ...defaultStagedMemoryOptions, jobs: Number(args['staged-jobs']) };
const tenMillionOptions = { ...defaultTenMillionOptions, jobs: Number(args['ten-million-jobs']) };
const engineCeilingOptions = { ...defaultEngineCeilingOptions, jobs: Number(args['ceiling-jobs']) };
const clusterBurstOptions = { ...defaultClusterBurstOptions, jobs: Number(args['cluster-jobs']) };
const resultsDir = args['results-dir'];
const isDefaultResultsDir = resultsDir === join(PROJECT_DIR, 'bench', 'results');
const log = (message: string): void => console.log(`${new Date().toISOString().slice(11, 23)} ${message}`);

// The work dir (data dirs, logs, raw profiles) is run.sh's, which removes it; else our own. Both
// are under the project's .tmp/, on the same disk as Duetime's default data dir.
const ownWorkDir = !process.env.BENCH_WORK_DIR;
const workDir = process.env.BENCH_WORK_DIR ?? mkdtempSync(join(ensureDir(join(PROJECT_DIR, '.tmp')), 'bench-'));
const openScopes = new Set<StageContext>();
let cleaned = false;
let interrupted = false;
async function cleanUp(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await Promise.all([...openScopes].map((ctx) => ctx.scope.close()));
  if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping every process of the bench; no results are written`);
    void cleanUp().finally(() => process.exit(130));
  });
}

const offsetUs = monoOffsetUs();
const results: BenchResults = {
  date: new Date().toISOString().slice(0, 10),
  command: process.env.BENCH_COMMAND ?? `node --import tsx bench/run-benchmarks.ts ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machineInfo(workDir),
  source: sourceInfo(),
  build: process.env.BENCH_BUILD ?? 'not run by this command (dist/ as found)',
  notes: [],
  load: { start: loadSnapshot(), end: loadSnapshot(), stages: [] },
  profiles: {},
  errors: [],
  verdicts: [],
};
if (process.env.BENCH_NOTE) results.notes.push(process.env.BENCH_NOTE);

/** Runs one stage in its own folder and scope, bounded by timeoutMs; records its load and any error. */
async function stage<T>(name: string, timeoutMs: number, run: (ctx: StageContext) => Promise<T>): Promise<T | undefined> {
  const ctx = stageContext(workDir, name, log);
  openScopes.add(ctx);
  const start = loadSnapshot();
  const began = Date.now();
  log(`stage ${name}: start (load ${start.loadavg.join(', ')})`);
  try {
    return await withTimeout(`stage ${name}`, timeoutMs, () => run(ctx));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`stage ${name}: FAILED: ${message}`);
    results.errors.push({ stage: name, message });
    return undefined;
  } finally {
    await ctx.scope.close();
    openScopes.delete(ctx);
    const load: StageLoad = { stage: name, start, end: loadSnapshot(), durationS: Math.round((Date.now() - began) / 1000) };
    results.load.stages.push(load);
    log(`stage ${name}: end after ${load.durationS} s (load ${load.end.loadavg.join(', ')})`);
  }
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

function keepProfile(file: string, name: string): void {
  const dir = process.env.BENCH_KEEP_PROFILES;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  copyFileSync(file, join(dir, `${name}-${basename(file)}`));
  log(`kept ${name} profile in ${dir}`);
}

function printProfile(name: string, summary: ProfileSummary): void {
  log(`${name} profile: ${summary.busyMs} ms busy of ${summary.windowMs} ms, GC ${summary.gcMs} ms; top self time:`);
  for (const row of summary.topSelf.slice(0, 10)) log(`  ${row.percent.toFixed(1).padStart(5)}%  ${row.function}  ${row.where}`);
}

try {
  const runMs = (s: number): number => s * 1000;
  if (stages.has('throughput')) {
    const budget = runMs(2 * (throughputOptions.warmupS + throughputOptions.rounds * (throughputOptions.durationS + 15)) + 120);
    results.throughput = await stage('throughput', budget, (ctx) => runSchedulingThroughput(ctx, throughputOptions));
  }
  if (stages.has('burst')) {
    const budget = MAX_LEAD_MS + burstOptions.drainTimeoutMs + burstOptions.settleMs + runMs(120);
    results.burst = await stage('burst', budget, (ctx) => runBurst(ctx, burstOptions));
  }
  if (stages.has('burst-watch')) {
    const o = defaultWatchBurstOptions;
    results.burstWatch = await stage('burst-watch', MAX_LEAD_MS + o.drainTimeoutMs + o.settleMs + runMs(120), (ctx) => runWatchBurst(ctx, o));
  }
  if (stages.has('bullmq')) {
    const o = defaultBullmqOptions;
    results.bullmq = await stage('bullmq', 2 * (MAX_LEAD_MS + o.drainTimeoutMs + o.settleMs) + runMs(60), (ctx) => runBullmqBurst(ctx, o));
  }
  if (stages.has('bullmq-steady-1k')) {
    const o = defaultBullmqSteadyOptions;
    const budget = MAX_LEAD_MS + (o.jobs / o.ratePerS) * 1000 + o.drainTimeoutMs + runMs(90);
    results.bullmqSteady = await stage('bullmq-steady-1k', budget, (ctx) => runBullmqSteady(ctx, o));
  }
  if (stages.has('memory')) {
    results.memory = await stage('memory', runMs(420), (ctx) => runMemory(ctx, memoryOptions));
  }
  if (stages.has('engine-ceiling')) {
    const budget = 2 * (engineCeilingOptions.leadMs + engineCeilingOptions.drainTimeoutMs) + runMs(60);
    results.engineCeiling = await stage('engine-ceiling', budget, (ctx) => runEngineCeiling(ctx, engineCeilingOptions));
  }
  if (stages.has('staged-memory')) {
    results.stagedMemory = await stage('staged-memory', runMs(STAGED_MEMORY_BUDGET_S), (ctx) => runStagedMemory(ctx, stagedMemoryOptions));
  }
  if (stages.has('cluster-throughput')) {
    const o = defaultClusterThroughputOptions;
    results.clusterThroughput = await stage('cluster-throughput', runMs(2 * (o.warmupS + o.rounds * (o.durationS + 10)) + 150), (ctx) => runClusterThroughput(ctx, o));
  }
  const clusterBurstBudget = runMs(240) + clusterBurstOptions.drainTimeoutMs;
  if (stages.has('cluster-burst')) {
    results.clusterBurst = await stage('cluster-burst', clusterBurstBudget, (ctx) => runClusterBurst(ctx, clusterBurstOptions));
  }
  if (stages.has('cluster-failover')) {
    results.clusterFailover = await stage('cluster-failover', runMs(300), (ctx) => runClusterFailover(ctx));
  }
  const steadyStages: Array<[string, SteadyOptions]> = [['steady-5k', defaultSteady5kOptions], ['steady-1k', defaultSteady1kOptions]];
  const steadyBudget = (o: SteadyOptions): number => MAX_LEAD_MS + (o.jobs / o.ratePerS) * 1000 + o.drainTimeoutMs + runMs(90);
  for (const [name, options] of steadyStages) {
    if (!stages.has(name)) continue;
    const steady = await stage(name, steadyBudget(options), (ctx) => runSteady(ctx, name, options));
    if (steady) (results.steady ??= []).push(steady);
  }
  if (stages.has('ten-million')) {
    results.tenMillion = await stage('ten-million', runMs(tenMillionBudgetS(tenMillionOptions)), (ctx) => runTenMillion(ctx, tenMillionOptions));
  }
  results.verdicts = verdicts(results.throughput, results.burst, results.memory, results.stagedMemory);
  results.verdicts.push(...peerVerdicts(results));
  results.verdicts.push(...steadyVerdicts(results.steady));
  results.verdicts.push(...tenMillionVerdicts(results.tenMillion));
  results.verdicts.push(...clusterVerdicts(results));

  const missed = (prefix: string): boolean => results.verdicts.some((v) => v.kind === 'target' && !v.ok && v.what.startsWith(prefix));
  const wantProfile = (missedIt: boolean): boolean => args.profile === 'always' || (args.profile === 'auto' && missedIt);
  if (results.throughput && wantProfile(missed('durable') || missed('ratio'))) {
    const budget = runMs(throughputOptions.warmupS + throughputOptions.durationS + 120);
    const profiled = await stage('throughput-profile', budget, (ctx) => profileSchedulingThroughput(ctx, throughputOptions, offsetUs));
    if (profiled) {
      keepProfile(profiled.profileFile, 'throughput');
      results.profiles.throughput = { measured: `${profiled.successPerS} schedules/s`, summary: profiled.profile };
      printProfile('throughput', profiled.profile);
    }
  }
  if (results.burst && wantProfile(missed('burst'))) {
    const budget = MAX_LEAD_MS + burstOptions.drainTimeoutMs + burstOptions.settleMs + runMs(120);
    const profiled = await stage('burst-profile', budget, (ctx) => profileBurst(ctx, burstOptions, offsetUs));
    if (profiled) {
      keepProfile(profiled.profileFile, 'burst');
      results.profiles.burst = { measured: `a drain time of ${profiled.drainMs} ms`, summary: profiled.profile };
      printProfile('burst', profiled.profile);
    }
  }
  if (results.clusterBurst && wantProfile(missed('etcd,'))) {
    const profiled = await stage('cluster-burst-profile', clusterBurstBudget, (ctx) => runClusterBurst(ctx, clusterBurstOptions, { dir: subdir(ctx, 'profiles'), monoOffsetUs: offsetUs }));
    const first = profiled?.profiles?.[0];
    for (const p of profiled?.profiles ?? []) keepProfile(p.file, `cluster-burst-${p.replica}`);
    if (profiled && first) {
      results.profiles.clusterBurst = { measured: `a drain time of ${profiled.drainMs} ms (${first.replica} of ${profiled.options.replicas}, cut to the trigger window)`, summary: first.summary };
      printProfile('cluster-burst', first.summary);
    }
  }
  for (const [name, options] of steadyStages) {
    const rate = options.ratePerS.toLocaleString('en-US');
    if (!results.steady?.some((r) => r.name === name) || !wantProfile(missed(`steady ${rate}/s`))) continue;
    const profiled = await stage(`${name}-profile`, steadyBudget(options), (ctx) => profileSteady(ctx, name, options, offsetUs));
    if (!profiled) continue;
    keepProfile(profiled.profileFile, name);
    (results.steadyProfiles ??= {})[name] = profiled;
    log(`${name} profile: ${profiled.stalls.length} busy stretches of 10 ms or more; the longest:`);
    for (const s of [...profiled.stalls].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5)) log(`  ${s.durationMs} ms at ${s.atMs} ms: ${s.top[0]?.stack ?? ''}`);
  }
} finally {
  results.load.end = loadSnapshot();
  await cleanUp();
}
// An interrupted run's partial numbers must not replace a complete run's: the signal handler exits.
if (interrupted) await new Promise(() => {});

if (results.load.start.loadavg[0] > results.machine.cores * 0.5 || results.load.end.loadavg[0] > results.machine.cores * 0.5) {
  results.notes.push(
    `The machine was shared and loaded while this ran (1-minute load average ${results.load.start.loadavg[0]} at start, ` +
      `${results.load.end.loadavg[0]} at end, on ${results.machine.cores} cores): other work competed for the CPU, so these numbers are noisy and likely low.`,
  );
}

mkdirSync(resultsDir, { recursive: true });
const stagesLabel = isDefaultStages ? '' : `${[...stages].join('+')}-`;
const base = join(resultsDir, `${results.date}-${stagesLabel}${machineLabel(results.machine)}`);
writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${base}.md`, renderMarkdown(results));
log(`results: ${base}.json and .md`);
if (isDefaultResultsDir && isDefaultStages && !args['no-docs']) updateDocs(relative(PROJECT_DIR, `${base}.md`));

for (const v of results.verdicts) log(`${v.ok ? 'ok     ' : v.kind === 'target' ? 'MISSED ' : 'FAILED '} ${v.what}: ${v.value} (target ${v.target})`);
const failed = results.errors.length > 0 || results.verdicts.some((v) => v.kind === 'check' && !v.ok);
process.exit(failed ? 1 : 0);

function updateDocs(resultsPath: string): void {
  const docs = join(PROJECT_DIR, 'docs', 'benchmarks.md');
  const start = '<!-- latest-results:start -->';
  const end = '<!-- latest-results:end -->';
  let text: string;
  try {
    text = readFileSync(docs, 'utf8');
  } catch {
    return;
  }
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return;
  writeFileSync(docs, `${text.slice(0, from + start.length)}\n${renderLatestBlock(results, resultsPath)}\n${text.slice(to)}`);
  log(`updated the latest numbers in ${relative(PROJECT_DIR, docs)}`);
}
