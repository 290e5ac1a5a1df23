// The cluster stages (bench/cluster-bench.ts) on their own, without the rest of `npm run bench`:
//   npx tsx bench/cluster.ts [--jobs 10000] [--replicas 3] [--warmup-jobs 4000] [--duration 6] [--rounds 3]
//        [--no-scheduling] [--no-burst] [--failover] [--profile-dir DIR]
// Needs the build (npm run build): the replicas run bin/duetime.js. Prints one JSON document on
// stdout (progress goes to stderr). Nothing is asserted. With --profile-dir, the burst's
// replicas run under node --cpu-prof, their profiles are left in DIR and summarised in the JSON.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  defaultClusterBurstOptions,
  defaultClusterThroughputOptions,
  runClusterBurst,
  runClusterFailover,
  runClusterThroughput,
} from './cluster-bench.js';
import { monoOffsetUs } from './lib/cpu-profile.js';
import { PROJECT_DIR } from './lib/duetime-server.js';
import { stageContext, type StageContext } from './lib/stage.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: String(defaultClusterBurstOptions.jobs) },
    replicas: { type: 'string', default: String(defaultClusterBurstOptions.replicas) },
    'warmup-jobs': { type: 'string', default: String(defaultClusterBurstOptions.warmupJobs) },
    duration: { type: 'string', default: String(defaultClusterThroughputOptions.durationS) },
    rounds: { type: 'string', default: String(defaultClusterThroughputOptions.rounds) },
    failover: { type: 'boolean', default: false },
    'no-scheduling': { type: 'boolean', default: false },
    'no-burst': { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
  },
});

const log = (message: string): void => void process.stderr.write(`[bench:cluster] ${new Date().toISOString().slice(11, 23)} ${message}\n`);
mkdirSync(join(PROJECT_DIR, '.tmp'), { recursive: true });
const workDir = mkdtempSync(join(PROJECT_DIR, '.tmp', 'bench-cluster-'));

async function inStage<T>(name: string, run: (ctx: StageContext) => Promise<T>): Promise<T> {
  const ctx = stageContext(workDir, name, log);
  try {
    return await run(ctx);
  } finally {
    await ctx.scope.close();
  }
}

const loadAtStart = os.loadavg();
const profileDir = args['profile-dir'] ? resolve(args['profile-dir']) : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });
const offsetUs = monoOffsetUs();
try {
  const throughput = { ...defaultClusterThroughputOptions, durationS: Number(args.duration), rounds: Math.max(1, Number(args.rounds)) };
  const burst = { ...defaultClusterBurstOptions, jobs: Number(args.jobs), replicas: Number(args.replicas), warmupJobs: Number(args['warmup-jobs']) };
  const results = {
    bench: 'cluster',
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim(),
    loadAtStart,
    ...(args['no-scheduling'] ? {} : { scheduling: await inStage('cluster-throughput', (ctx) => runClusterThroughput(ctx, throughput)) }),
    ...(args['no-burst'] ? {} : { burst: await inStage('cluster-burst', (ctx) => runClusterBurst(ctx, burst, profileDir ? { dir: profileDir, monoOffsetUs: offsetUs } : undefined)) }),
    ...(args.failover ? { failover: await inStage('cluster-failover', (ctx) => runClusterFailover(ctx)) } : {}),
    loadAtEnd: os.loadavg(),
  };
  console.log(JSON.stringify(results, null, 2));
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
