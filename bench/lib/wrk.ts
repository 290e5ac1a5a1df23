// Runs wrk with bench/wrk/schedule-jobs.lua and reads the one JSON line its done() prints.

import { join } from 'node:path';
import type { Scope } from './processes.js';
import { PROJECT_DIR } from './duetime-server.js';

const SCRIPT = join(PROJECT_DIR, 'bench', 'wrk', 'schedule-jobs.lua');

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationS: number;
  /** Job names are <prefix>-<thread>-<counter>. */
  prefix: string;
}

export interface WrkResult {
  durationUs: number;
  /** Responses received (any status). */
  responses: number;
  /** Requests written; sent - responses were in flight when wrk stopped. */
  sent: number;
  statuses: Record<string, number>;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { min: number; mean: number; max: number; p50: number; p90: number; p99: number; p999: number };
  /** Wall-clock span of the run, ms since the epoch (for cutting a CPU profile to it). */
  startedAt: number;
  endedAt: number;
  command: string;
}

export async function runWrk(scope: Scope, name: string, options: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationS}s`,
    '--timeout', '10s',
    '--latency',
    '-s', SCRIPT,
    options.url,
    '--',
    options.prefix,
  ];
  const startedAt = Date.now();
  const started = scope.start(name, 'wrk', args);
  // wrk stops itself after durationS; the stop() deadline only guards against a hang.
  const code = await Promise.race([
    started.exited,
    new Promise<string>((resolve) => setTimeout(() => resolve('hung'), (options.durationS + 30) * 1000)),
  ]);
  const endedAt = Date.now();
  if (code === 'hung') await started.stop('SIGKILL');
  const line = started.output().match(/^WRK_JSON (.*)$/m);
  if (code !== 0 || !line) throw new Error(`wrk ${args.join(' ')} ended with ${code}:\n${started.output()}`);
  const parsed = JSON.parse(line[1]!) as Omit<WrkResult, 'startedAt' | 'endedAt' | 'command'>;
  return { ...parsed, startedAt, endedAt, command: `wrk ${args.join(' ')}` };
}

/** Responses with a 2xx status. */
export function count2xx(result: WrkResult): number {
  return Object.entries(result.statuses).reduce((sum, [status, n]) => (status.startsWith('2') ? sum + n : sum), 0);
}
