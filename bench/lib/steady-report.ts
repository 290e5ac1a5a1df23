// Targets, verdicts and report sections of the steady-rate stages (bench/steady-lateness.ts),
// kept apart from targets.ts and report-markdown.ts, which call into here.

import type { SteadyProfile, SteadyResult } from '../steady-lateness.js';
import type { Verdict } from './targets.js';
import { STEADY_LEAD_IN_MS } from './timed-run.js';

/** Issue 12: lateness at a steady rate, by rate (triggers per second). */
export const STEADY_TARGETS: Record<number, { p99Ms?: number; p999Ms: number }> = {
  5_000: { p99Ms: 5, p999Ms: 20 },
  1_000: { p999Ms: 10 },
};

export function steadyVerdicts(runs: readonly SteadyResult[] | undefined): Verdict[] {
  const out: Verdict[] = [];
  for (const r of runs ?? []) {
    const rate = r.options.ratePerS.toLocaleString('en-US');
    const target = STEADY_TARGETS[r.options.ratePerS];
    const l = r.latenessMs;
    if (target?.p99Ms !== undefined) {
      out.push({ what: `steady ${rate}/s: lateness p99`, value: `${l.p99} ms`, target: `<= ${target.p99Ms} ms`, kind: 'target', ok: r.complete && l.p99 <= target.p99Ms });
    }
    if (target) {
      out.push({ what: `steady ${rate}/s: lateness p99.9`, value: `${l.p999} ms`, target: `<= ${target.p999Ms} ms`, kind: 'target', ok: r.complete && l.p999 <= target.p999Ms });
    }
    out.push(
      { what: `steady ${rate}/s: all ${r.options.jobs} delivered`, value: `${r.distinct} (${r.missing} missing)`, target: String(r.options.jobs), kind: 'check', ok: r.complete && r.missing === 0 && r.unreadable === 0 },
      { what: `steady ${rate}/s: early / duplicate deliveries`, value: `${r.early} / ${r.duplicates}`, target: '0 / 0', kind: 'check', ok: r.early === 0 && r.duplicates === 0 },
    );
  }
  return out;
}

const n = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

export function renderSteady(runs: readonly SteadyResult[], profiles: Readonly<Record<string, SteadyProfile | undefined>> = {}): string[] {
  const out = ['## 7. Lateness at a steady rate', ''];
  out.push(
    'One-shot jobs scheduled over HTTP (64 connections) ahead of time, due evenly spread at the given rate from T0; each carries its due instant in its data and is ' +
      `delivered over HTTP to one receiving app (its own process), which records its arrival. The rate is already running at T0: a lead-in of ${STEADY_LEAD_IN_MS} ms of jobs at the same rate, due just before it, is delivered and not measured (BullMQ's steady peer has the same). ` +
      'Lateness is arrival minus that due instant. The event-loop delay is the ' +
      "server's own (`perf_hooks.monitorEventLoopDelay` through /metrics' `nodejs_eventloop_lag_*`, scraped just before T0 and after the last delivery; their values " +
      'include the 10 ms sampling interval), and the samples of its own `duetime_event_loop_delay_seconds` (a 10 ms timer, never reset) taken in between that were over 5 and over 20 ms.',
    '',
  );
  out.push(
    '| rate | jobs | lead | scheduled at | lateness p50 / p90 / p99 / p99.9 / max ms | early | duplicates | missing | episodes > 5 ms | event loop p50 / p99 / max ms | loop delay samples > 5 / > 20 ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of runs) {
    const l = r.latenessMs;
    const e = r.eventLoop;
    out.push(
      `| ${n(r.options.ratePerS)}/s | ${n(r.options.jobs)} | ${n(r.leadMs)} ms | ${n(r.scheduling.perS)}/s | **${l.p50} / ${l.p90} / ${l.p99} / ${l.p999} / ${l.max}** | ${r.early} | ${r.duplicates} | ${r.missing} | ` +
        `${r.episodeCount} | ${e.p50Ms} / ${e.p99Ms} / ${e.maxMs} | ${e.samples === undefined ? 'n/a' : `${n(e.over5Ms ?? Number.NaN)} / ${n(e.over20Ms ?? Number.NaN)} of ${n(e.samples)}`} |`,
    );
  }
  out.push('');
  for (const r of runs) {
    if (r.episodes.length === 0) continue;
    out.push(`Worst episodes of lateness over 5 ms at ${n(r.options.ratePerS)}/s (by the due instants of the late jobs, from T0):`, '');
    out.push(r.episodes.map((e) => `${(e.atMs / 1000).toFixed(2)} s (+${e.spanMs} ms, ${e.jobs} jobs, up to ${e.maxLateMs} ms)`).join('; '), '');
  }
  for (const [name, profile] of Object.entries(profiles)) {
    if (!profile) continue;
    out.push(`Stalls in the profiled run of ${name} (node --cpu-prof; busy stretches of 10 ms or more from 1 s before T0; lateness then p99 ${profile.latenessMs.p99}, max ${profile.latenessMs.max} ms):`, '');
    out.push('| at (from T0) | ms | where the time went |', '|---|---|---|');
    for (const s of profile.stalls.slice(0, 30)) out.push(`| ${(s.atMs / 1000).toFixed(2)} s | ${s.durationMs} | ${s.top.slice(0, 3).map((t) => `${t.ms} ms \`${t.stack.split(' < ').slice(0, 2).join(' < ')}\``).join('; ')} |`);
    out.push('');
  }
  if (runs[0]) out.push(`Duetime: \`${runs[0].duetimeCommand}\``, '');
  return out;
}

/** Rows for the latest block of docs/benchmarks.md. */
export function steadyLatestRows(runs: readonly SteadyResult[] | undefined): string[] {
  return (runs ?? []).map(
    (r) => `| steady ${n(r.options.ratePerS)}/s: lateness p50 / p99 / p99.9 / max; event loop p99 / max | ${r.latenessMs.p50} / ${r.latenessMs.p99} / ${r.latenessMs.p999} / ${r.latenessMs.max} ms; ${r.eventLoop.p99Ms} / ${r.eventLoop.maxMs} ms | | |`,
  );
}
