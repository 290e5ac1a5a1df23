// The ten-million stage's section of the Markdown report.

import type { TenMillionResult } from '../ten-million.js';

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const n = (value: number): string => value.toLocaleString('en-US');

export function renderTenMillion(r: TenMillionResult): string[] {
  const jobs = n(r.options.jobs);
  const out = [
    `## ${jobs} jobs stored (SQLite) against an empty store`,
    '',
    `Filled in ${Math.round(r.fill.durationMs / 1000)} s (${n(r.fill.perS)} jobs/s) through the server's request parser and store statements (bench/lib/sqlite-fill.ts).`,
    '',
    '| | empty store | ' + jobs + ' jobs |',
    '|---|---|---|',
    `| first start to /readyz | ${r.empty.startMs} ms | ${r.full.startMs} ms |`,
    `| restart to /readyz (median) | ${r.empty.restartMs} ms | ${r.full.restartMs} ms |`,
    `| restarts to /readyz, alternating | ${r.empty.restartsMs.join(', ')} ms | ${r.full.restartsMs.join(', ')} ms |`,
    `| of which the store: open, due query, counts, sweep page (in the bench process, after the run) | | ${r.storeStartMs.open} + ${r.storeStartMs.due} + ${r.storeStartMs.counts} + ${r.storeStartMs.sweep} = ${r.storeStartMs.total} ms |`,
    `| RSS after start | ${mib(r.empty.rssAfterStartBytes)} | ${mib(r.full.rssAfterStartBytes)} |`,
    `| RSS after the burst | ${mib(r.empty.rssAfterBurstBytes)} | ${mib(r.full.rssAfterBurstBytes)} |`,
    `| peak RSS | ${mib(r.empty.peakRssBytes)} | ${mib(r.full.peakRssBytes)} |`,
    `| schedules/s over HTTP (wrk, ${r.options.concurrency} connections, ${r.options.wrkDurationS} s per round) | ${r.empty.schedulingPerS.map(n).join(', ')} | ${r.full.schedulingPerS.map(n).join(', ')} |`,
    `| burst of ${n(r.options.burstJobs)}: drain after the due instant | ${r.empty.burst.drainMs} ms | ${r.full.burst.drainMs} ms |`,
    `| burst: lateness p50 / p99 / max | ${lateness(r.empty.burst.latenessMs)} | ${lateness(r.full.burst.latenessMs)} |`,
    `| burst: delivered / early | ${n(r.empty.burst.distinct)} / ${r.empty.burst.early} | ${n(r.full.burst.distinct)} / ${r.full.burst.early} |`,
    `| burst: scheduled in (lead to the due instant) | ${r.empty.burst.scheduledInMs} ms (${r.empty.burst.leadMs} ms)${r.empty.burst.scheduledLate ? ', **late**' : ''} | ${r.full.burst.scheduledInMs} ms (${r.full.burst.leadMs} ms)${r.full.burst.scheduledLate ? ', **late**' : ''} |`,
    '',
    `Scheduling rate at ${jobs} over the empty store's, per round: ${r.schedulingRatios.join(', ')} (median ${r.schedulingRatio}).`,
    '',
    `Disk right after the fill: ${n(r.diskAfterFill.fileBytes + r.diskAfterFill.walBytes)} bytes, **${r.diskAfterFill.bytesPerJob} bytes per job**; by table and index (SQLite dbstat, bytes per job):`,
    '',
    '| object | bytes per job |',
    '|---|---|',
    ...Object.entries(r.diskAfterFill.byObject)
      .filter(([, bytes]) => bytes > 0)
      .map(([name, bytes]) => `| ${name} | ${(bytes / r.options.jobs).toFixed(1)} |`),
    '',
    `After the run (the full server stopped): ${n(r.diskAfterRun.rows)} rows, file ${n(r.diskAfterRun.fileBytes)} + WAL ${n(r.diskAfterRun.walBytes)} bytes, **${r.diskAfterRun.bytesPerJob} bytes per job**.`,
    '',
  ];
  return out;
}

function lateness(l: { p50: number; p99: number; max: number }): string {
  return `${l.p50} / ${l.p99} / ${l.max} ms`;
}
