// Renders one run's results as the readable .md committed next to its .json, and the short
// "latest numbers" block that docs/benchmarks.md carries.

import type { ProfileRun, BenchResults } from './results.js';
import { MiB } from './stats.js';
import { TARGETS } from './targets.js';
import { TARGET_STAGED_RSS_MIB, type StagedMemoryResult } from '../staged-memory.js';
import type { EngineCeilingResult } from '../engine-ceiling.js';
import { renderSteady, steadyLatestRows } from './steady-report.js';
import { renderTenMillion } from './ten-million-report.js';
import type { BarePeerResult } from '../burst-delivery.js';
import { peerLatestRows, renderPeers } from './peer-report.js';
import { clusterLatestRows, renderCluster } from './cluster-report.js';

const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / MiB).toFixed(1) : 'n/a');
const n = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`# Duetime benchmarks, ${r.date}`, '');
  out.push(`Command: \`${r.command}\``, '');
  out.push('| machine | |', '|---|---|');
  out.push(`| CPU | ${m.cpuModel}, ${m.cores} cores |`);
  out.push(`| memory | ${(m.totalMemoryBytes / 1024 ** 3).toFixed(1)} GiB |`);
  out.push(`| OS, kernel | ${m.os}, ${m.kernel} |`);
  out.push(`| Node | ${m.node} |`);
  if (m.dataFilesystem) out.push(`| data dirs on | ${m.dataFilesystem} |`);
  out.push(`| source | ${r.source.commit.slice(0, 12)}${r.source.dirty ? ' + uncommitted changes' : ''}; build: ${r.build} |`);
  out.push('');
  out.push('Load while measuring (`uptime`):', '');
  out.push(`- start: \`${r.load.start.uptime}\``);
  for (const s of r.load.stages) out.push(`- ${s.stage} (${s.durationS} s): \`${s.start.loadavg.join(', ')}\` -> \`${s.end.loadavg.join(', ')}\``);
  out.push(`- end: \`${r.load.end.uptime}\``, '');
  for (const note of r.notes) out.push(`> ${note}`, '');

  out.push('## Verdicts', '', '| | measured | target | |', '|---|---|---|---|');
  for (const v of r.verdicts) out.push(`| ${v.what} | ${v.value} | ${v.target} | ${v.ok ? 'met' : v.kind === 'target' ? '**missed**' : '**FAILED**'} |`);
  for (const e of r.errors) out.push(`| stage ${e.stage} | error | | **FAILED**: ${e.message.split('\n')[0]} |`);
  out.push('');

  const t = r.throughput;
  if (t) {
    out.push('## 1. Scheduling throughput', '');
    out.push(
      `wrk, ${t.options.threads} threads, ${t.options.connections} keep-alive connections; after a ${t.options.warmupS} s warm-up of each server, ${t.rounds.length} rounds of ` +
        `${t.options.durationS} s on the bare server then ${t.options.durationS} s on Duetime; each request \`POST /v1.0/jobs/bench-r<round>-<thread>-<n>\` ` +
        'with `{"dueTime":"2030-01-01T00:00:00Z","data":{"n":1}}`.',
      '',
    );
    out.push(
      '| round | target | 2xx/s | responses | non-2xx + socket errors | p50 ms | p90 ms | p99 ms | max ms | server CPU µs/request | rate at one full core | ratio | load after |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    t.rounds.forEach((round, i) => {
      const mark = i === t.medianRound ? ' (median)' : '';
      for (const [name, run] of [['bare node:http (204)', round.bare], ['Duetime (SQLite, durable)', round.duetime]] as const) {
        const duetime = run === round.duetime;
        out.push(
          `| ${i + 1}${mark} | ${name} | **${n(run.successPerS)}** | ${n(run.responses)} | ${run.failures} | ${run.latencyMs.p50} | ${run.latencyMs.p90} | ${run.latencyMs.p99} | ${run.latencyMs.max} | ` +
            `${n(run.cpuMicrosPerRequest)} | ${n(run.cpuBoundPerS)}/s | ${duetime ? round.ratio.toFixed(2) : ''} | ${duetime ? round.load : ''} |`,
        );
      }
    });
    out.push('');
    out.push(
      `Median round: Duetime **${n(t.duetime.successPerS)}/s**, bare ${n(t.bare.successPerS)}/s, ratio **${t.ratio.toFixed(2)}**; ` +
        `best round: ${n(t.best.duetimePerS)}/s, ratio ${t.best.ratio.toFixed(2)}.`,
      '',
    );
    out.push(
      'Server CPU is user + system time of the server process over the run (from /proc), per response; "rate at one full core" is 1 s of CPU divided by it, ' +
        'an estimate of what the process would reach with a core to itself. It moves much less with the neighbours\' load than the measured rate does.',
      '',
    );
    const s = t.duetime.store;
    out.push(
      `Store check after SIGKILL: ${n(s.stored)} \`bench-*\` rows for ${n(s.acknowledged)} 204s over all rounds (${s.unacknowledgedStored} rows more: requests in flight when wrk stopped, ` +
        `of ${s.sent - s.acknowledged} sent without an answer read): ${s.ok ? 'ok' : '**FAILED**'}. Every Duetime response was 204: ${t.duetime.allResponses204 ? 'yes' : '**no**'}.`,
      '',
    );
    out.push(`- Duetime: \`${t.duetime.serverCommand}\``, `- wrk: \`${t.duetime.wrkCommand}\``, '');
  }

  const b = r.burst;
  if (b) {
    out.push(`## 2. Burst: ${n(b.options.jobs)} one-shot jobs due at one instant`, '');
    out.push(
      `After a warm-up (${n(b.warmup.jobs)} jobs due at once, delivered; then ${n(b.warmup.jobs)} due in 2030, scheduled at ${n(b.warmup.perS)}/s), the burst was scheduled ` +
        `${n(b.leadMs)} ms ahead of its due instant ${b.dueAt}, with ${b.options.concurrency} concurrent requests, in ${n(b.scheduling.durationMs)} ms ` +
        `(${n(b.scheduling.perS)}/s, done ${n(b.scheduling.finishedBeforeDueMs)} ms before the due instant); delivered over HTTP to one app (its own process).`,
      '',
    );
    out.push('| | |', '|---|---|');
    out.push(`| drain time (last delivery - due instant) | **${n(b.drainMs)} ms** (target <= ${TARGETS.drainMs} ms; Dapr ${TARGETS.daprDrainMs} ms; BullMQ 6 ${TARGETS.bullmqDrainMs} ms) |`);
    out.push(`| first delivery after the due instant | ${n(b.firstMs)} ms |`);
    out.push(`| deliveries/s (first to last) | ${n(b.deliveriesPerS)} |`);
    out.push(`| lateness p50 / p90 / p99 / max | ${b.latenessMs.p50} / ${b.latenessMs.p90} / ${b.latenessMs.p99} / ${b.latenessMs.max} ms |`);
    out.push(`| delivered / distinct / duplicates | ${n(b.delivered)} / ${n(b.distinct)} / ${b.duplicates} |`);
    out.push(`| early deliveries | ${b.early} |`);
    out.push(`| retries (attempt > 1) / failed attempts | ${b.retries} / ${b.engine.failedAttempts} |`);
    out.push(`| CPU per delivery: Duetime / receiver | ${n(b.cpu.duetimeMicrosPerDelivery)} µs / ${n(b.cpu.receiverMicrosPerDelivery)} µs (Duetime alone on a core: ${n(b.options.jobs * b.cpu.duetimeMicrosPerDelivery / 1000)} ms for the burst) |`);
    const main = b.cpu.duetimeMainThreadMicrosPerDelivery;
    if (main !== undefined) out.push(`| Duetime's CPU per delivery by thread: main / others (SQLite writer, GC helpers) | ${n(main)} µs / ${n(b.cpu.duetimeMicrosPerDelivery - main)} µs |`);
    out.push(`| jobs left in the store after the drain | ${b.storedAfter} |`);
    out.push('');
    if (b.bare) out.push(...renderBarePeer(b.drainMs, b.cpu.duetimeMicrosPerDelivery, b.bare));
  }

  const mem = r.memory;
  if (mem) {
    out.push(`## 3. Memory with ${n(mem.options.jobs)} jobs due next year`, '');
    out.push(
      `Jobs due from ${mem.firstDue} to ${mem.lastDue} (one every 5 minutes), scheduled in ${n(mem.scheduling.durationMs)} ms (${n(mem.scheduling.perS)}/s); ` +
        `${n(mem.stored)} rows on disk. Read from GET /metrics as found and after a full GC (SIGUSR2 to a --expose-gc preload).`,
      '',
    );
    out.push('| | RSS MiB | heap used MiB | RSS after GC | heap after GC | in-memory window |', '|---|---|---|---|---|---|');
    for (const [name, reading] of [
      ['baseline, 0 jobs', mem.baseline],
      [`after scheduling ${n(mem.options.jobs)}`, mem.after],
      [`restarted with ${n(mem.options.jobs)} stored`, mem.restarted],
    ] as const) {
      out.push(`| ${name} | ${mib(reading.rssBytes)} | ${mib(reading.heapUsedBytes)} | ${mib(reading.gcRssBytes)} | ${mib(reading.gcHeapUsedBytes)} | ${reading.inMemory} |`);
    }
    out.push('');
  }

  const st = r.stagedMemory;
  if (st) out.push(...renderStaged(st));
  if (r.engineCeiling) out.push(...renderEngineCeiling(r.engineCeiling));
  out.push(...renderPeers(r));
  out.push(...renderCluster(r));
  if (r.steady) out.push(...renderSteady(r.steady, r.steadyProfiles));
  if (r.tenMillion) out.push(...renderTenMillion(r.tenMillion));

  for (const [name, profile] of Object.entries(r.profiles) as Array<[string, ProfileRun]>) out.push(...renderProfile(name, profile));
  for (const e of r.errors) out.push(`## Error in stage ${e.stage}`, '', '```', e.message, '```', '');
  return out.join('\n');
}

function renderStaged(st: StagedMemoryResult): string[] {
  const out = [`## 4. Memory with ${n(st.options.jobs)} staged triggers, and their release`, ''];
  out.push(
    `${n(st.options.jobs)} one-shot jobs of app \`staged\` (no endpoint), each due at the instant it was sent, scheduled over HTTP with ${st.options.concurrency} connections ` +
      `in ${n(st.scheduling.durationMs)} ms (${n(st.scheduling.perS)}/s); /metrics reported all of them staged ${n(st.allStagedMs)} ms after the first request; ` +
      `${n(st.stagedRows)} rows with \`staged_at\` in the file after the restart. Read from GET /metrics and /proc/<pid>/status, as found and after a full GC ` +
      '(SIGUSR2 to a --expose-gc preload); the target is checked on RSS after GC.',
    '',
  );
  out.push(
    '| | RSS MiB | heap used MiB | RSS after GC | heap used / committed (new space) after GC | external after GC | anon / file RSS after GC | anon: brk heap / unnamed mmaps / other | staged (metrics) | in-memory window |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [name, reading] of [
    ['empty', st.empty],
    [`${n(st.options.jobs)} staged`, st.staged],
    [`restarted with ${n(st.options.jobs)} staged`, st.restarted],
    ['after the release', st.release.after],
  ] as const) {
    out.push(
      `| ${name} | ${mib(reading.rssBytes)} | ${mib(reading.heapUsedBytes)} | **${mib(reading.gcRssBytes)}** | ${mib(reading.gcHeapUsedBytes)} / ${mib(reading.gcHeapTotalBytes)} (${mib(reading.gcNewSpaceBytes ?? Number.NaN)}) | ` +
        `${mib(reading.gcExternalBytes)} | ${mib(reading.proc.rssAnonBytes)} / ${mib(reading.proc.rssFileBytes)} | ` +
        `${mib(reading.proc.anon.brkHeapBytes)} / ${mib(reading.proc.anon.unnamedMmapBytes)} / ${mib(reading.proc.anon.otherBytes)} | ${n(reading.staged)} | ${reading.inMemory} |`,
    );
  }
  out.push('');
  out.push(
    `RSS after GC, ${n(st.options.jobs)} staged minus empty: **${st.diffMiB} MiB** (after the restart: ${st.restartedDiffMiB} MiB); target <= ${TARGET_STAGED_RSS_MIB} MiB.`,
    '',
  );
  const rel = st.release;
  const live = st.live;
  out.push('Release (`PUT /v1.0/apps/staged` to a receiving app, its own process):', '', '| | |', '|---|---|');
  out.push(`| registration to last staged delivery | **${n(rel.durationMs)} ms** (${n(rel.perS)}/s) |`);
  out.push(`| registration to first staged delivery | ${n(rel.firstMs)} ms |`);
  out.push(`| delivered / distinct / duplicates / early | ${n(rel.delivered)} / ${n(rel.distinct)} / ${rel.duplicates} / ${rel.early} |`);
  out.push(`| peak RSS of the server (VmHWM, since its restart) | ${mib(rel.peakRssBytes)} MiB |`);
  out.push(`| staged jobs left in the store | ${rel.leftInStore} |`);
  out.push(
    `| other app: ${live.jobs} jobs due every ${st.options.liveIntervalMs} ms from ${st.options.liveLeadMs} ms after the registration (${live.dueDuringRelease} due before the last staged delivery) | ` +
      `${live.distinct} delivered, ${live.early} early; lateness p50 / p90 / p99 / max **${live.latenessMs.p50} / ${live.latenessMs.p90} / ${live.latenessMs.p99} / ${live.latenessMs.max} ms** |`,
  );
  out.push('', `Duetime: \`${st.duetimeCommand}\``, '');
  return out;
}

function renderBarePeer(duetimeDrainMs: number, duetimeCpuMicros: number, bare: BarePeerResult): string[] {
  const out = [
    `The peer: a bare undici Pool (${bare.connections} connections, \`request()\`, no scheduler) POSTing the same number of requests with the same bodies and headers ` +
      'to the same receiver, its own process, right after Duetime stopped; drain is the last arrival minus the round\'s first request.',
    '',
    '| bare round | drain ms | arrivals/s | delivered | failures | lateness p50 / p99 / max ms | client CPU µs/request |',
    '|---|---|---|---|---|---|---|',
  ];
  bare.rounds.forEach((r, i) => out.push(`| ${i + 1} | ${n(r.drainMs)} | ${n(r.deliveriesPerS)} | ${n(r.distinct)} | ${r.failures} | ${r.latenessMs.p50} / ${r.latenessMs.p99} / ${r.latenessMs.max} | ${n(r.cpuMicrosPerRequest)} |`));
  const cpus = bare.rounds.map((r) => r.cpuMicrosPerRequest).sort((a, b) => a - b);
  const medianCpu = cpus[Math.floor(cpus.length / 2)] ?? Number.NaN;
  out.push(
    '',
    `Duetime ${n(duetimeDrainMs)} ms over the bare client's median ${n(bare.drainMs)} ms: **${bare.ratio.toFixed(2)}x** (target <= ${TARGETS.burstOverBare}x). ` +
      `CPU per delivery, the steadier figure on a shared machine: Duetime ${n(duetimeCpuMicros)} µs, the bare client ${n(medianCpu)} µs (median round), ${(duetimeCpuMicros / medianCpu).toFixed(2)}x. Peer: \`${bare.command}\``,
    '',
  );
  return out;
}

function renderProfile(name: string, p: ProfileRun): string[] {
  const s = p.summary;
  const out = [`## Profile: ${name}`, ''];
  out.push(
    `node --cpu-prof on the Duetime process, cut to the measured window (${n(s.windowMs)} ms: ${n(s.busyMs)} ms busy, ${n(s.idleMs)} ms idle, ${n(s.gcMs)} ms GC). ` +
      `The profiled run reached ${p.measured}.`,
    '',
  );
  out.push('Self time by package:', '', '| package | ms | % of busy |', '|---|---|---|');
  for (const row of s.byPackage.slice(0, 10)) out.push(`| ${row.package} | ${n(row.ms)} | ${row.percent} |`);
  out.push('', 'Top functions by self time:', '', '| function | where | ms | % of busy |', '|---|---|---|---|');
  for (const row of s.topSelf) out.push(`| \`${row.function}\` | ${row.where} | ${row.ms} | ${row.percent} |`);
  out.push('', "Duetime's own functions by total time (including what they call):", '', '| function | where | ms | % of busy |', '|---|---|---|---|');
  for (const row of s.topTotalDuetime) out.push(`| \`${row.function}\` | ${row.where} | ${row.ms} | ${row.percent} |`);
  out.push('');
  return out;
}

/** The block between the markers in docs/benchmarks.md. */
export function renderLatestBlock(r: BenchResults, resultsPath: string): string {
  const out = [`Latest run: ${r.date}, ${r.machine.cpuModel} (${r.machine.cores} cores), Node ${r.machine.node}; load average at start ${r.load.start.loadavg.join(', ')}, at end ${r.load.end.loadavg.join(', ')}. Full results: [${resultsPath}](../${resultsPath}).`, ''];
  out.push('| | measured | target | |', '|---|---|---|---|');
  for (const v of r.verdicts) out.push(`| ${v.what} | ${v.value} | ${v.target} | ${v.ok ? 'met' : v.kind === 'target' ? '**missed**' : '**FAILED**'} |`);
  for (const e of r.errors) out.push(`| stage ${e.stage} | error | | **FAILED** |`);
  if (r.throughput) {
    out.push(`| bare node:http limit (same round) | ${n(r.throughput.bare.successPerS)}/s | | |`);
    out.push(`| best of ${r.throughput.rounds.length} rounds: Duetime, ratio | ${n(r.throughput.best.duetimePerS)}/s, ${r.throughput.best.ratio.toFixed(2)} | | |`);
    out.push(`| scheduling latency p50 / p99 (median round) | ${r.throughput.duetime.latencyMs.p50} / ${r.throughput.duetime.latencyMs.p99} ms | | |`);
    out.push(`| server CPU per request: Duetime / bare | ${n(r.throughput.duetime.cpuMicrosPerRequest)} / ${n(r.throughput.bare.cpuMicrosPerRequest)} µs | | |`);
  }
  if (r.burst) {
    out.push(`| burst lateness p50 / p99 / max | ${r.burst.latenessMs.p50} / ${r.burst.latenessMs.p99} / ${r.burst.latenessMs.max} ms | | |`);
    out.push(`| Duetime CPU per delivery | ${n(r.burst.cpu.duetimeMicrosPerDelivery)} µs | | |`);
  }
  if (r.memory) {
    const mem = r.memory;
    out.push(`| RSS / heap after GC, 0 jobs | ${mib(mem.baseline.gcRssBytes)} / ${mib(mem.baseline.gcHeapUsedBytes)} MiB | | |`);
    out.push(`| RSS / heap after GC, ${n(mem.options.jobs)} jobs due next year | ${mib(mem.after.gcRssBytes)} / ${mib(mem.after.gcHeapUsedBytes)} MiB | | |`);
    out.push(`| same, after a restart | ${mib(mem.restarted.gcRssBytes)} / ${mib(mem.restarted.gcHeapUsedBytes)} MiB | | |`);
  }
  out.push(...steadyLatestRows(r.steady));
  out.push(...peerLatestRows(r));
  out.push(...clusterLatestRows(r));
  return out.join('\n');
}

function renderEngineCeiling(ec: EngineCeilingResult): string[] {
  const out = [`## 5. The engine's own ceiling: ${n(ec.options.jobs)} due at one instant, no network`, ''];
  out.push(
    `In the bench process: the engine with a deliverer that answers "done" at once, on the memory store and on a SQLite file; ${n(ec.options.jobs)} one-shot jobs ` +
      `scheduled through JobsService, due ${n(ec.options.leadMs)} ms after the first. Drain: the due instant to the last committed outcome; CPU: the process's, every thread, over the drain, per trigger.`,
    '',
  );
  out.push('| store | scheduled in ms | drain ms | triggers/s | CPU µs per trigger | delivered | early | duplicates | lateness p50 / p99 / max ms |', '|---|---|---|---|---|---|---|---|---|');
  for (const run of ec.runs) {
    out.push(`| ${run.store} | ${n(run.scheduleMs)} | ${n(run.drainMs)} | **${n(run.perS)}** | ${Number.isFinite(run.cpuMicrosPerTrigger) ? run.cpuMicrosPerTrigger.toFixed(1) : '-'} | ${n(run.delivered)} | ${run.early} | ${run.duplicates} | ${run.latenessMs.p50} / ${run.latenessMs.p99} / ${run.latenessMs.max} |`);
  }
  const [memory, sqlite] = ec.runs;
  if (memory && sqlite) out.push('', `SQLite's rate is ${(sqlite.perS / memory.perS).toFixed(2)} of the memory store's.`);
  out.push('');
  return out;
}
