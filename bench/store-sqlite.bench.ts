// SQLite job store throughput and due-index latency. A plain script, not a Vitest bench:
//   node --import tsx bench/store-sqlite.bench.ts [jobs=100000]
// Measures: creates through group commit (Promise.all waves of 1,000), one-at-a-time creates
// (a commit, and an fsync, each), progress commits in waves, and dueBefore over the full table
// when only 100 jobs are due. Numbers go to stdout; nothing is asserted.

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteJobStore } from '../src/adapters/store-sqlite/index.js';
import type { JobRecord } from '../src/core/model/job.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const WAVE = 1_000;
const DUE = 100;
const NOW = 1_800_000_000_000;

function record(i: number): JobRecord {
  // The first DUE jobs are due now; the rest are spread over the next 30 days.
  const nextAt = i < DUE ? NOW - 1_000 + i : NOW + 60_000 + ((i * 7_919) % (30 * 86_400_000));
  return {
    def: {
      key: { namespace: 'default', appId: `app-${i % 10}`, name: `job-${i}` },
      uid: `uid-${i}`,
      createdAt: NOW - 86_400_000,
      schedule: '@every 1m',
      data: { orderId: i, note: 'reminder' },
      failurePolicy: { kind: 'constant', intervalMs: 1_000, maxRetries: 3 },
      failurePolicySource: { constant: { interval: '1s', maxRetries: 3 } },
      target: { kind: 'app' },
      catchUp: 'all',
    },
    progress: { rev: 1, count: 0, attempts: 0, state: 'active', tickAt: nextAt, nextAt },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const dir = await mkdtemp(join(tmpdir(), 'duetime-bench-'));
const path = join(dir, 'jobs.db');
const store = new SqliteJobStore({ path });
try {
  let started = performance.now();
  for (let base = 0; base < TOTAL; base += WAVE) {
    const wave = Array.from({ length: Math.min(WAVE, TOTAL - base) }, (_, k) => store.create(record(base + k), { overwrite: false }));
    await Promise.all(wave);
  }
  let seconds = (performance.now() - started) / 1000;
  console.log(`create, waves of ${WAVE}: ${TOTAL} jobs in ${seconds.toFixed(2)} s = ${Math.round(TOTAL / seconds)} jobs/s`);

  const SINGLE = 1_000;
  started = performance.now();
  for (let i = 0; i < SINGLE; i++) await store.create(record(TOTAL + i), { overwrite: false });
  seconds = (performance.now() - started) / 1000;
  console.log(`create, one awaited at a time: ${SINGLE} jobs = ${Math.round(SINGLE / seconds)} jobs/s (${((seconds / SINGLE) * 1000).toFixed(2)} ms each)`);

  // Restore the due set: the one-at-a-time jobs above are due later, so only DUE are due now.
  const dueSamples: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    const due = await store.dueBefore(NOW, 1_000);
    dueSamples.push(performance.now() - t);
    if (due.length !== DUE) throw new Error(`expected ${DUE} due, got ${due.length}`);
  }
  dueSamples.sort((a, b) => a - b);
  console.log(
    `dueBefore(now, 1000) over ${TOTAL + SINGLE} rows, ${DUE} due: median ${percentile(dueSamples, 50).toFixed(3)} ms, p99 ${percentile(dueSamples, 99).toFixed(3)} ms`,
  );

  const emptySamples: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    await store.dueBefore(NOW - 10_000, 1_000);
    emptySamples.push(performance.now() - t);
  }
  emptySamples.sort((a, b) => a - b);
  console.log(`dueBefore with nothing due: median ${percentile(emptySamples, 50).toFixed(3)} ms`);

  started = performance.now();
  const COMMITS = Math.min(TOTAL, 50_000);
  for (let base = 0; base < COMMITS; base += WAVE) {
    const wave = Array.from({ length: WAVE }, (_, k) => {
      const r = record(base + k);
      const progress = { ...r.progress, rev: 2, count: 1, lastTrigger: r.progress.nextAt, nextAt: (r.progress.nextAt ?? 0) + 60_000 };
      return store.commitProgress({
        key: r.def.key,
        uid: r.def.uid,
        expectedRev: 1,
        progress,
        history: { scheduledAt: r.progress.nextAt ?? 0, at: NOW, attempt: 1, outcome: 'success', manual: false },
      });
    });
    const results = await Promise.all(wave);
    if (results.some((ok) => !ok)) throw new Error('a progress commit was refused');
  }
  seconds = (performance.now() - started) / 1000;
  console.log(`commitProgress + history, waves of ${WAVE}: ${COMMITS} in ${seconds.toFixed(2)} s = ${Math.round(COMMITS / seconds)} commits/s`);

  await store.close();
  console.log(`file size: ${((await stat(path)).size / 1e6).toFixed(1)} MB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
