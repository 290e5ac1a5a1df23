// Verdicts and report sections of the burst's other shapes (issue 12): the same burst over
// WatchJobs (stage burst-watch) and on BullMQ (stage bullmq), each set beside Duetime's HTTP
// burst of the same run when that ran too.

import type { BullmqRun } from '../bullmq-compare.js';
import type { BenchResults } from './results.js';
import type { Verdict } from './targets.js';
import { STEADY_LEAD_IN_MS } from './timed-run.js';

export const PEER_TARGETS = {
  /** Issue 12: 20,000 due at one instant over WatchJobs to listen(), drained within this. */
  watchDrainMs: 400,
  /** Issue 12: BullMQ's drain of the same burst, forwarded over HTTP, at least this multiple of Duetime's. */
  bullmqOverDuetime: 2,
} as const;

const n = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

export function peerVerdicts(r: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  const w = r.burstWatch;
  if (w) {
    const d = w.drain;
    out.push(
      { what: `WatchJobs: burst of ${w.options.jobs} to listen(), drain time`, value: `${d.drainMs} ms`, target: `<= ${PEER_TARGETS.watchDrainMs} ms`, kind: 'target', ok: w.complete && d.drainMs <= PEER_TARGETS.watchDrainMs },
      { what: 'WatchJobs burst: all delivered', value: `${d.distinct} (${d.missing} missing)`, target: `${w.options.jobs}`, kind: 'check', ok: w.complete && d.missing === 0 },
      { what: 'WatchJobs burst: early / duplicate deliveries', value: `${d.early} / ${d.duplicates}`, target: '0 / 0', kind: 'check', ok: d.early === 0 && d.duplicates === 0 },
      { what: 'WatchJobs burst: jobs left in the store', value: String(w.storedAfter), target: '0', kind: 'check', ok: w.storedAfter === 0 },
    );
  }
  const bull = r.bullmq?.runs.find((run) => run.mode === 'http');
  if (bull) {
    const b = bull.drain;
    const ratio = r.burst ? b.drainMs / r.burst.drainMs : Number.NaN;
    const valid = bull.complete && b.missing === 0 && b.early === 0;
    out.push({
      what: `BullMQ ${r.bullmq!.bullmqVersion}: same burst forwarded over HTTP, its drain over Duetime's`,
      value: r.burst ? `${ratio.toFixed(2)}x (${b.drainMs} / ${r.burst.drainMs} ms)${valid ? '' : ', BullMQ run incomplete'}` : `BullMQ ${b.drainMs} ms; no Duetime burst in this run`,
      target: `>= ${PEER_TARGETS.bullmqOverDuetime}x`,
      kind: 'target',
      ok: valid && r.burst !== undefined && r.burst.complete && ratio >= PEER_TARGETS.bullmqOverDuetime,
    });
  }
  return out;
}

export function renderPeers(r: BenchResults): string[] {
  const out: string[] = [];
  const w = r.burstWatch;
  if (w) {
    const d = w.drain;
    out.push(`## Burst over WatchJobs: ${n(w.options.jobs)} one-shot jobs due at one instant to an SDK listen() worker`, '');
    out.push(
      `App \`${w.options.appId}\` has no HTTP endpoint; its worker is \`listen()\` from @duetime/sdk in its own process (bench/watch-receiver.js), whose handler records the arrival and acks at once. ` +
        `After a warm-up (${n(w.warmup.jobs)} jobs due at once, delivered over the stream; ${n(w.warmup.jobs)} more due in 2030 scheduled at ${n(w.warmup.perS)}/s), the burst was scheduled over HTTP ` +
        `with ${w.options.concurrency} concurrent requests in ${n(w.scheduling.durationMs)} ms (${n(w.scheduling.perS)}/s), due ${w.dueAt} (lead ${n(w.leadMs)} ms).`,
      '',
    );
    out.push('| | |', '|---|---|');
    out.push(`| drain time (last arrival - due instant) | **${n(d.drainMs)} ms** (target <= ${PEER_TARGETS.watchDrainMs} ms)${r.burst ? `; over HTTP in the same run: ${n(r.burst.drainMs)} ms` : ''} |`);
    out.push(`| first arrival after the due instant | ${n(d.firstMs)} ms |`);
    out.push(`| arrivals/s (first to last) | ${n(d.deliveriesPerS)} |`);
    out.push(`| lateness p50 / p90 / p99 / max (arrival - due instant) | ${d.latenessMs.p50} / ${d.latenessMs.p90} / ${d.latenessMs.p99} / ${d.latenessMs.max} ms |`);
    out.push(`| delivered / distinct / duplicates / missing / early | ${n(d.delivered)} / ${n(d.distinct)} / ${d.duplicates} / ${d.missing} / ${d.early} |`);
    out.push(`| CPU per delivery: Duetime / worker | ${n(w.cpu.duetimeMicrosPerDelivery)} µs / ${n(w.cpu.workerMicrosPerDelivery)} µs |`);
    const main = w.cpu.duetimeMainThreadMicrosPerDelivery;
    if (main !== undefined) out.push(`| Duetime's CPU per delivery by thread: main / others (SQLite writer, GC helpers) | ${n(main)} µs / ${n(w.cpu.duetimeMicrosPerDelivery - main)} µs |`);
    out.push(`| jobs left in the store after the drain | ${w.storedAfter} |`);
    out.push('', `Duetime: \`${w.duetimeCommand}\``, '');
  }
  out.push(...renderBullmq(r));
  return out;
}

/** Rows for the latest block of docs/benchmarks.md: the peers' figures that no verdict carries. */
export function peerLatestRows(r: BenchResults): string[] {
  const out: string[] = [];
  const bare = r.burst?.bare;
  if (r.burst && bare) {
    const cpus = bare.rounds.map((x) => x.cpuMicrosPerRequest).sort((a, b) => a - b);
    const cpu = cpus[Math.floor(cpus.length / 2)] ?? Number.NaN;
    out.push(`| burst CPU per delivery: Duetime / bare undici client | ${n(r.burst.cpu.duetimeMicrosPerDelivery)} / ${n(cpu)} µs | | |`);
  }
  const http = r.bullmq?.runs.find((x) => x.mode === 'http');
  if (http) out.push(`| burst CPU per job: BullMQ worker + Redis, forwarding over HTTP | ${n(http.cpu.workerMicrosPerJob)} + ${n(http.cpu.redisMicrosPerJob)} µs | | |`);
  const local = r.bullmq?.runs.find((x) => x.mode === 'local');
  if (local) {
    const versus = r.burstWatch ? `, ${(local.drain.drainMs / r.burstWatch.drain.drainMs).toFixed(2)}x Duetime's WatchJobs drain` : '';
    out.push(`| BullMQ in-process worker: burst drain | ${n(local.drain.drainMs)} ms${versus} | | |`);
  }
  const steady = r.bullmqSteady?.runs[0];
  if (steady) {
    const duetime = r.steady?.find((s) => s.options.ratePerS === r.bullmqSteady!.options.ratePerS);
    const l = steady.drain.latenessMs;
    out.push(
      `| BullMQ at ${n(r.bullmqSteady!.options.ratePerS)}/s over HTTP: lateness p99 / p99.9 | ${l.p99} / ${l.p999} ms${duetime ? ` (Duetime ${duetime.latenessMs.p99} / ${duetime.latenessMs.p999} ms)` : ''} | | |`,
    );
  }
  return out;
}

function renderBullmq(r: BenchResults): string[] {
  const bq = r.bullmq;
  const steady = r.bullmqSteady;
  if (!bq && !steady) return [];
  const out = [`## BullMQ side by side`, ''];
  const version = bq ?? steady!;
  out.push(
    `BullMQ ${version.bullmqVersion} on Redis ${version.redisVersion} (Debian's redis-server on loopback, append-only file with fsync every second, no snapshots); ` +
      'its worker is its own process (bench/bullmq-worker.js); jobs are added from the bench with the delay that makes each due at its instant. ' +
      "Duetime's rows are its stages of this run (its SQLite store fsyncs every commit).",
    '',
  );
  if (bq) {
    out.push(
      `Burst: ${n(bq.options.jobs)} jobs due at one instant, after a warm-up of ${n(bq.options.warmupJobs)}; worker concurrency ${bq.options.concurrency}.`,
      '',
      '| | drain ms | over Duetime | arrivals/s | lateness p50 / p99 / max ms | delivered / duplicates / missing / early | CPU per job |',
      '|---|---|---|---|---|---|---|',
    );
    const http = bq.runs.find((x) => x.mode === 'http');
    const local = bq.runs.find((x) => x.mode === 'local');
    const duetimeRow = (name: string, d: { drainMs: number; deliveriesPerS: number; latenessMs: { p50: number; p99: number; max: number }; distinct: number; duplicates: number; early: number }, missing: number, cpu: string): string =>
      `| ${name} | **${n(d.drainMs)}** | 1.00x | ${n(d.deliveriesPerS)} | ${d.latenessMs.p50} / ${d.latenessMs.p99} / ${d.latenessMs.max} | ${n(d.distinct)} / ${d.duplicates} / ${missing} / ${d.early} | ${cpu} |`;
    const bullRow = (name: string, run: BullmqRun, peerDrainMs: number | undefined): string => {
      const d = run.drain;
      const ratio = peerDrainMs === undefined ? 'n/a' : `${(d.drainMs / peerDrainMs).toFixed(2)}x`;
      return (
        `| ${name} | **${n(d.drainMs)}** | ${ratio} | ${n(d.deliveriesPerS)} | ${d.latenessMs.p50} / ${d.latenessMs.p99} / ${d.latenessMs.max} | ` +
        `${n(d.distinct)} / ${d.duplicates} / ${d.missing} / ${d.early} | worker ${n(run.cpu.workerMicrosPerJob)} µs + Redis ${n(run.cpu.redisMicrosPerJob)} µs |`
      );
    };
    if (r.burst) out.push(duetimeRow('Duetime, over HTTP to the app (stage burst)', r.burst, r.burst.options.jobs - r.burst.distinct, `${n(r.burst.cpu.duetimeMicrosPerDelivery)} µs`));
    if (http) out.push(bullRow('BullMQ, worker forwarding over HTTP to the app', http, r.burst?.drainMs));
    if (r.burstWatch) out.push(duetimeRow('Duetime, over WatchJobs to listen() (stage burst-watch)', r.burstWatch.drain, r.burstWatch.drain.missing, `${n(r.burstWatch.cpu.duetimeMicrosPerDelivery)} µs`));
    if (local) out.push(bullRow('BullMQ, in-process worker (no HTTP)', local, r.burstWatch?.drain.drainMs));
    out.push('', '"over Duetime" is the BullMQ drain over the Duetime row above it (HTTP over HTTP; in-process over WatchJobs, where neither makes an HTTP request per job).', '');
    for (const run of bq.runs) {
      out.push(`- ${run.mode}: queue \`${run.queue}\`, ${n(bq.options.jobs)} added in ${n(run.adding.durationMs)} ms (${n(run.adding.perS)}/s, lead ${n(run.leadMs)} ms, due ${run.dueAt}); unfinished in Redis afterwards ${run.unfinished} (failed ${run.failed}).`);
    }
    out.push('');
  }
  if (steady) {
    const run = steady.runs[0]!;
    const l = run.drain.latenessMs;
    const duetime = r.steady?.find((s) => s.options.ratePerS === steady.options.ratePerS);
    out.push(
      `Steady: ${n(steady.options.jobs)} jobs due evenly at ${n(steady.options.ratePerS)}/s from ${run.dueAt} (lead ${n(run.leadMs)} ms), forwarded over HTTP (concurrency ${steady.options.concurrency}) to the steady stages' receiver, after the same ${STEADY_LEAD_IN_MS} ms lead-in at that rate as Duetime's (delivered, not measured); lateness against the due instant in each job's data.`,
      '',
      '| | lateness p50 / p90 / p99 / p99.9 / max ms | delivered / duplicates / missing / early |',
      '|---|---|---|',
    );
    if (duetime) {
      const d = duetime.latenessMs;
      out.push(`| Duetime (stage ${duetime.name}) | ${d.p50} / ${d.p90} / ${d.p99} / **${d.p999}** / ${d.max} | ${n(duetime.distinct)} / ${duetime.duplicates} / ${duetime.missing} / ${duetime.early} |`);
    }
    out.push(`| BullMQ, worker forwarding over HTTP | ${l.p50} / ${l.p90} / ${l.p99} / **${l.p999}** / ${l.max} | ${n(run.drain.distinct)} / ${run.drain.duplicates} / ${run.drain.missing} / ${run.drain.early} |`);
    out.push('', `BullMQ: ${n(steady.options.jobs)} added in ${n(run.adding.durationMs)} ms; worker ${n(run.cpu.workerMicrosPerJob)} µs + Redis ${n(run.cpu.redisMicrosPerJob)} µs of CPU per job; unfinished afterwards ${run.unfinished}.`, '');
  }
  return out;
}
