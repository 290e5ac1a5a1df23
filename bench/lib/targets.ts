// The targets from issues 2 and 12, and the verdicts the report prints. A target missed is reported, not
// failed on; a correctness check failing (a non-204, a lost schedule, an early or duplicate
// delivery, jobs left in memory) makes the bench exit non-zero.

import type { BurstResult } from '../burst-delivery.js';
import type { MemoryResult } from '../memory-window.js';
import type { ThroughputResult } from '../scheduling-throughput.js';
import { TARGET_STAGED_RSS_MIB, type StagedMemoryResult } from '../staged-memory.js';

export const TARGETS = {
  schedulesPerS: 10_000,
  /** Issue 12's target for scheduling over bare node:http in the same round (issue 2 aimed at 0.5). */
  ratioOfBare: 0.45,
  drainMs: 1_000,
  /** Published or measured elsewhere, for comparison in the report. */
  daprSchedulesPerS: 921,
  daprDrainMs: 1_050,
  bullmqDrainMs: 3_800,
  /** Issue 12: the burst's drain within this multiple of a bare undici Pool's, same receiver, same run. */
  burstOverBare: 1.1,
  /** Issue 8: another app's jobs arrive on time while a million staged triggers are released. */
  liveLatenessP99Ms: 1_000,
} as const;

export interface Verdict {
  what: string;
  value: string;
  target: string;
  /** A performance target (missed = reported) or a correctness check (failed = exit 1). */
  kind: 'target' | 'check';
  ok: boolean;
}

export function verdicts(throughput?: ThroughputResult, burst?: BurstResult, memory?: MemoryResult, staged?: StagedMemoryResult): Verdict[] {
  const out: Verdict[] = [];
  if (throughput) {
    const d = throughput.duetime;
    out.push(
      { what: `durable schedules/s (median of ${throughput.rounds.length} rounds)`, value: String(d.successPerS), target: `>= ${TARGETS.schedulesPerS}`, kind: 'target', ok: d.successPerS >= TARGETS.schedulesPerS },
      { what: 'ratio to bare node:http (same round)', value: throughput.ratio.toFixed(2), target: `>= ${TARGETS.ratioOfBare} (issue 2 aimed at 0.5)`, kind: 'target', ok: throughput.ratio >= TARGETS.ratioOfBare },
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
    const bare = burst.bare;
    if (bare) {
      const bareOk = bare.rounds.every((r) => r.failures === 0 && r.distinct === burst.options.jobs);
      out.push({
        what: `burst: drain over a bare undici Pool's (${bare.connections} connections, same receiver, median of ${bare.rounds.length})`,
        value: `${bare.ratio.toFixed(2)}x (${burst.drainMs} / ${bare.drainMs} ms)${bareOk ? '' : ', peer incomplete'}`,
        target: `<= ${TARGETS.burstOverBare}x`,
        kind: 'target',
        ok: bareOk && burst.complete && bare.ratio <= TARGETS.burstOverBare,
      });
    }
  }
  if (memory) {
    out.push(
      { what: `memory: in-memory window with ${memory.options.jobs} jobs due next year`, value: String(memory.after.inMemory), target: '0', kind: 'check', ok: memory.after.inMemory === 0 && memory.restarted.inMemory === 0 },
      { what: 'memory: jobs on disk', value: String(memory.stored), target: String(memory.options.jobs), kind: 'check', ok: memory.stored === memory.options.jobs },
    );
  }
  if (staged) {
    const jobs = staged.options.jobs;
    const target = TARGET_STAGED_RSS_MIB;
    out.push(
      { what: `staged: RSS after GC with ${jobs} staged triggers minus empty`, value: `${staged.diffMiB} MiB`, target: `<= ${target} MiB`, kind: 'target', ok: staged.diffMiB <= target },
      { what: 'staged: same after a restart', value: `${staged.restartedDiffMiB} MiB`, target: `<= ${target} MiB`, kind: 'target', ok: staged.restartedDiffMiB <= target },
      { what: 'staged: triggers staged (metrics, after the restart)', value: String(staged.restarted.staged), target: String(jobs), kind: 'check', ok: staged.staged.staged === jobs && staged.restarted.staged === jobs },
      { what: 'staged: in-memory window while staged', value: String(staged.staged.inMemory), target: '0', kind: 'check', ok: staged.staged.inMemory === 0 && staged.restarted.inMemory === 0 },
      { what: 'staged: release delivered all', value: String(staged.release.distinct), target: String(jobs), kind: 'check', ok: staged.release.complete && staged.release.distinct === jobs },
      { what: 'staged: early / duplicate deliveries in the release', value: `${staged.release.early} / ${staged.release.duplicates}`, target: '0 / 0', kind: 'check', ok: staged.release.early === 0 && staged.release.duplicates === 0 },
      { what: 'staged: jobs left in the store after the release', value: String(staged.release.leftInStore), target: '0', kind: 'check', ok: staged.release.leftInStore === 0 },
      {
        what: `staged: other app's lateness p99 during the release`,
        value: `${staged.live.latenessMs.p99} ms`,
        target: `<= ${TARGETS.liveLatenessP99Ms} ms (on time)`,
        kind: 'target',
        ok: staged.live.latenessMs.p99 <= TARGETS.liveLatenessP99Ms,
      },
      { what: `staged: other app's ${staged.live.jobs} jobs during the release, all delivered, none early`, value: `${staged.live.distinct}, ${staged.live.early} early`, target: `${staged.live.jobs}, 0 early`, kind: 'check', ok: staged.live.distinct === staged.live.jobs && staged.live.early === 0 },
    );
  }
  return out;
}
