// The targets from issue 2, and the verdicts the report prints. A target missed is reported, not
// failed on; a correctness check failing (a non-204, a lost schedule, an early or duplicate
// delivery, jobs left in memory) makes the bench exit non-zero.

import type { BurstResult } from '../burst-delivery.js';
import type { MemoryResult } from '../memory-window.js';
import type { ThroughputResult } from '../scheduling-throughput.js';

export const TARGETS = {
  schedulesPerS: 10_000,
  ratioOfBare: 0.5,
  drainMs: 1_000,
  /** Published or measured elsewhere, for comparison in the report. */
  daprSchedulesPerS: 921,
  daprDrainMs: 1_050,
  bullmqDrainMs: 3_800,
} as const;

export interface Verdict {
  what: string;
  value: string;
  target: string;
  /** A performance target (missed = reported) or a correctness check (failed = exit 1). */
  kind: 'target' | 'check';
  ok: boolean;
}

export function verdicts(throughput?: ThroughputResult, burst?: BurstResult, memory?: MemoryResult): Verdict[] {
  const out: Verdict[] = [];
  if (throughput) {
    const d = throughput.duetime;
    out.push(
      { what: `durable schedules/s (median of ${throughput.rounds.length} rounds)`, value: String(d.successPerS), target: `>= ${TARGETS.schedulesPerS}`, kind: 'target', ok: d.successPerS >= TARGETS.schedulesPerS },
      { what: 'ratio to bare node:http (same round)', value: throughput.ratio.toFixed(2), target: `>= ${TARGETS.ratioOfBare} (aim)`, kind: 'target', ok: throughput.ratio >= TARGETS.ratioOfBare },
      { what: 'every scheduling response is 204', value: `${d.failures} not`, target: '0 not', kind: 'check', ok: d.allResponses204 },
      {
        what: 'every 204 is a row on disk (after SIGKILL)',
        value: `${d.store.stored} rows / ${d.store.acknowledged} 204s`,
        target: `204s <= rows <= requests sent (${d.store.sent})`,
        kind: 'check',
        ok: d.store.ok,
      },
    );
  }
  if (burst) {
    out.push(
      { what: `burst of ${burst.options.jobs}: drain time`, value: `${burst.drainMs} ms`, target: `<= ${TARGETS.drainMs} ms`, kind: 'target', ok: burst.complete && burst.drainMs <= TARGETS.drainMs },
      { what: 'burst: all delivered', value: `${burst.distinct}`, target: `${burst.options.jobs}`, kind: 'check', ok: burst.complete && burst.distinct === burst.options.jobs },
      { what: 'burst: early deliveries', value: String(burst.early), target: '0', kind: 'check', ok: burst.early === 0 },
      { what: 'burst: duplicate deliveries', value: String(burst.duplicates), target: '0', kind: 'check', ok: burst.duplicates === 0 },
      { what: 'burst: jobs left in the store', value: String(burst.storedAfter), target: '0', kind: 'check', ok: burst.storedAfter === 0 },
    );
  }
  if (memory) {
    out.push(
      { what: `memory: in-memory window with ${memory.options.jobs} jobs due next year`, value: String(memory.after.inMemory), target: '0', kind: 'check', ok: memory.after.inMemory === 0 && memory.restarted.inMemory === 0 },
      { what: 'memory: jobs on disk', value: String(memory.stored), target: String(memory.options.jobs), kind: 'check', ok: memory.stored === memory.options.jobs },
    );
  }
  return out;
}
