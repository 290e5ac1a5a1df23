// Reads what bench/lib/trace-preload.js wrote for a steady stage (BENCH_STEADY_TRACE=1) and
// lines each of the worst lateness episodes up with what the processes did at that moment: GC
// pauses, event-loop gaps (a thread that did not run its 2 ms timer), posts to the writer
// thread, commits, and the machine's CPU split into ours (Duetime and the receiver, every
// thread) and the other tenants'. All on the wall clock the receiver stamps arrivals with.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface TraceEntry {
  type: 'start' | 'gc' | 'gap' | 'post' | 'stmt' | 'commit' | 'cpu' | 'note';
  at: number;
  ms?: number;
  kind?: number;
  ops?: number;
  sql?: string;
  argv?: string;
  main?: boolean;
  ticks?: number;
  proc?: number;
  busy?: number;
}

/** Which process and thread wrote an entry: SRV (Duetime's main thread), SRV-writer, RCV (the receiver), CANARY (bench/stall-canary.js). */
type Thread = 'SRV' | 'SRV-writer' | 'RCV' | 'CANARY';

interface Tagged extends TraceEntry {
  thread: Thread;
}

// PerformanceObserver's gc kinds (perf_hooks.constants.NODE_PERFORMANCE_GC_*).
const GC_KINDS: Record<number, string> = { 1: 'scavenge', 2: 'mark-compact(minor)', 4: 'mark-compact', 8: 'incremental', 16: 'weak-callbacks' };
const CLOCK_TICK_MS = 10;
const MAX_LISTED = 30;

export function readTrace(dir: string): Tagged[] {
  const entries: Tagged[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    const lines = readFileSync(join(dir, file), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as TraceEntry);
    const start = lines.find((l) => l.type === 'start');
    const process = start?.argv?.includes('receiver') ? 'RCV' : start?.argv?.includes('canary') ? 'CANARY' : 'SRV';
    const thread: Thread = process === 'SRV' && start?.main === false ? 'SRV-writer' : process;
    for (const line of lines) if (line.type !== 'start') entries.push({ ...line, thread });
  }
  return entries.sort((a, b) => a.at - b.at);
}

/** CPU in [from, to) as a share of one core (1 = a whole core), interpolated between samples. */
function cpuShare(samples: Tagged[], field: 'proc' | 'busy' | 'ticks', from: number, to: number): number {
  const at = (t: number): number => {
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1]!;
      const b = samples[i]!;
      if (b.at >= t) return a[field]! + ((b[field]! - a[field]!) * (t - a.at)) / Math.max(1, b.at - a.at);
    }
    return Number.NaN;
  };
  return ((at(to) - at(from)) * CLOCK_TICK_MS) / (to - from);
}

export interface EpisodeLike {
  atMs: number;
  spanMs: number;
  jobs: number;
  maxLateMs: number;
}

/** Lines for the log: the run's totals (triggers: the lead-in's and the run's), then each episode (worst first) with what overlapped it. */
export function traceReport(dir: string, t0: number, lastAt: number, episodes: EpisodeLike[], triggers: number): string[] {
  const all = readTrace(dir);
  const lines: string[] = [];
  const from = t0 - 500;
  const inRun = all.filter((e) => e.at >= from && e.at <= lastAt);
  const totals = new Map<string, { n: number; max: number; sum: number }>();
  for (const e of inRun) {
    if (e.type === 'cpu' || e.ms === undefined) continue;
    const name = `${e.thread} ${e.type === 'gc' ? (GC_KINDS[e.kind ?? 0] ?? `gc${e.kind}`) : e.type}`;
    const t = totals.get(name) ?? { n: 0, max: 0, sum: 0 };
    t.n++;
    t.max = Math.max(t.max, e.ms);
    t.sum += e.ms;
    totals.set(name, t);
  }
  lines.push(`trace, lead-in start to last delivery (${lastAt - from} ms): ` + [...totals].sort().map(([k, v]) => `${k} ${v.n} (max ${v.max.toFixed(1)}, sum ${v.sum.toFixed(0)} ms)`).join('; '));
  const cpu = (thread: Thread): Tagged[] => all.filter((e) => e.thread === thread && e.type === 'cpu');
  const srv = cpu('SRV');
  const rcv = cpu('RCV');
  const writer = cpu('SRV-writer');
  const machine = rcv.filter((e) => e.busy !== undefined);
  const share = (a: number, b: number): string => {
    const ours = cpuShare(srv, 'proc', a, b) + cpuShare(rcv, 'proc', a, b);
    const busy = cpuShare(machine, 'busy', a, b);
    const process = cpuShare(srv, 'proc', a, b);
    const main = cpuShare(srv, 'ticks', a, b);
    const writerThread = cpuShare(writer, 'ticks', a, b);
    // What is left of the process is mostly V8's own worker threads (concurrent marking and
    // sweeping, background compilation): 2026-12-06, the steady 5,000/s episodes were those.
    return `Duetime ${pct(process)} (main ${pct(main)}, writer ${pct(writerThread)}, other threads ${pct(process - main - writerThread)}), receiver ${pct(cpuShare(rcv, 'proc', a, b))}, others ${pct(busy - ours)} of one core`;
  };
  lines.push(`CPU over the run: ${share(from, lastAt)}; per trigger: Duetime ${((cpuShare(srv, 'proc', from, lastAt) * (lastAt - from) * 1000) / triggers).toFixed(1)} us`);
  for (const episode of episodes.slice(0, 5)) {
    const a = t0 + episode.atMs - 50;
    const b = t0 + episode.atMs + episode.spanMs + 20;
    lines.push(`episode at ${episode.atMs} ms (${episode.jobs} jobs, up to ${episode.maxLateMs} ms late), from 50 ms before it: ${share(a, b)}`);
    // What held a thread 5 ms or more (a commit: its worker only), the first MAX_LISTED of them.
    const notable = all.filter((e) => e.at >= a && e.at <= b && e.type !== 'cpu' && (e.ms ?? 0) >= 5);
    if (notable.length > MAX_LISTED) lines.push(`  (the first ${MAX_LISTED} of ${notable.length} pauses of 5 ms or more)`);
    for (const e of notable.slice(0, MAX_LISTED)) {
      const what = e.type === 'gc' ? (GC_KINDS[e.kind ?? 0] ?? `gc${e.kind}`) : e.type === 'post' ? `post (${e.ops} values)` : e.type === 'stmt' ? `stmt ${e.sql}` : e.type;
      lines.push(`  ${String(e.at - t0).padStart(6)} ms  ${e.thread.padEnd(10)} ${what} ${e.ms} ms`);
    }
  }
  return lines;
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}
