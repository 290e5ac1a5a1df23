// Verdicts and report sections of the burst's other shapes (issue 12): the same burst over
// WatchJobs (stage burst-watch) and on BullMQ (stage bullmq), each set beside Duetime's HTTP
// burst of the same run when that ran too.

import type { BenchResults } from './results.js';
import type { Verdict } from './targets.js';

export const PEER_TARGETS = {
  /** Issue 12: 20,000 due at one instant over WatchJobs to listen(), drained within this. */
  watchDrainMs: 400,
} as const;

const n = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

export function peerVerdicts(r: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  const w = r.burstWatch;
  if (w) {
    const d = w.drain;
    out.push(
      { what: `burst of ${w.options.jobs} over WatchJobs to listen(): drain time`, value: `${d.drainMs} ms`, target: `<= ${PEER_TARGETS.watchDrainMs} ms`, kind: 'target', ok: w.complete && d.drainMs <= PEER_TARGETS.watchDrainMs },
      { what: 'burst over WatchJobs: all delivered', value: `${d.distinct} (${d.missing} missing)`, target: `${w.options.jobs}`, kind: 'check', ok: w.complete && d.missing === 0 },
      { what: 'burst over WatchJobs: early / duplicate deliveries', value: `${d.early} / ${d.duplicates}`, target: '0 / 0', kind: 'check', ok: d.early === 0 && d.duplicates === 0 },
      { what: 'burst over WatchJobs: jobs left in the store', value: String(w.storedAfter), target: '0', kind: 'check', ok: w.storedAfter === 0 },
    );
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
    out.push(`| jobs left in the store after the drain | ${w.storedAfter} |`);
    out.push('', `Duetime: \`${w.duetimeCommand}\``, '');
  }
  return out;
}
