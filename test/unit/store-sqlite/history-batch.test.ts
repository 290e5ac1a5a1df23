// History entries of a batch of outcomes (commitProgressBatch): whatever way the store writes a
// batch's entries (one INSERT per entry now; several per INSERT after the UPDATEs was tried on
// 2026-12-05 and backed out, docs/benchmarks-history.md), what a caller sees must be what one write after
// the other gives: every job's newest historyLimit entries in order, none for a refused commit, and
// none left behind by a job deleted later in the same batch. Real SQLite files, in-thread and on
// the writer thread.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../../src/adapters/store-sqlite/sqlite-job-store.js';
import type { HistoryEntry, JobRecord, Progress } from '../../../src/core/model/job.js';
import type { ProgressCommit } from '../../../src/core/ports/job-store.js';
import { key, minimalRecord } from '../../conformance/job-store.suite.js';

const dirs: string[] = [];
const stores: SqliteJobStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openStore(writerThread: boolean, historyLimit: number): { store: SqliteJobStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-history-batch-'));
  dirs.push(dir);
  const path = join(dir, 'jobs.db');
  const store = new SqliteJobStore({ path, writerThread, historyLimit });
  stores.push(store);
  return { store, path };
}

const T0 = 1_700_000_000_000;

function entry(round: number): HistoryEntry {
  return { scheduledAt: T0 + round, at: T0 + round + 1, attempt: 1, outcome: 'success', manual: false };
}

/** A tick of a repeating job: still active, next tick a minute later. */
function tick(record: JobRecord, round: number, expectedRev = record.progress.rev): ProgressCommit {
  const next = T0 + (round + 1) * 60_000;
  const progress: Progress = { rev: expectedRev + 1, count: round, attempts: 0, lastTrigger: T0 + round, state: 'active', tickAt: next, nextAt: next };
  return { key: record.def.key, uid: record.def.uid, expectedRev, progress, history: entry(round) };
}

/** Rows of history of one job name, read from the file itself. */
function historyRows(path: string, name: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM history WHERE name = ?').get(name) as { n: number }).n;
  } finally {
    db.close();
  }
}

describe.each([
  ['in-thread', false],
  ['writer thread', true],
])('SqliteJobStore (%s): history entries of a batch of outcomes', (_mode, writerThread) => {
  it("keeps each job's newest historyLimit entries, in order, over batches of 150 outcomes", async () => {
    const limit = 3;
    const { store } = openStore(writerThread, limit);
    // 150 entries per batch: more than one multi-row INSERT would take (64 rows), if entries were grouped.
    const records = Array.from({ length: 150 }, (_, i) => minimalRecord(key(`job-${String(i).padStart(3, '0')}`), { tickAt: T0, nextAt: T0 }));
    await Promise.all(records.map((r) => store.create(r, { overwrite: false })));
    for (let round = 1; round <= 5; round++) {
      const commits = records.map((r) => tick(r, round, round));
      // One commit per batch is stale (a revision already written): refused, no entry.
      commits.push(tick(records[7]!, round, round - 1));
      const results = await store.commitProgressBatch(commits);
      expect(results.slice(0, 150)).toEqual(Array(150).fill(true));
      expect(results[150]).toBe(false);
    }
    for (const r of [records[0]!, records[7]!, records[63]!, records[64]!, records[149]!]) {
      expect(await store.history(r.def.key, 10)).toEqual([entry(5), entry(4), entry(3)]);
      expect((await store.get(r.def.key))?.progress.rev).toBe(6);
    }
  });

  it('inserts no entry of a job the same batch deletes afterwards', async () => {
    const { store, path } = openStore(writerThread, 20);
    const records = Array.from({ length: 10 }, (_, i) => minimalRecord(key(`gone-${i}`), { tickAt: T0, nextAt: T0 }));
    await Promise.all(records.map((r) => store.create(r, { overwrite: false })));
    // Every job: a tick with its entry, then (same batch) its guarded delete at the next revision.
    const commits: ProgressCommit[] = [];
    for (const r of records) {
      commits.push(tick(r, 1));
      commits.push({ key: r.def.key, uid: r.def.uid, expectedRev: 2, progress: null });
    }
    expect(await store.commitProgressBatch(commits)).toEqual(Array(20).fill(true));
    for (const r of records) {
      expect(await store.get(r.def.key)).toBeUndefined();
      expect(historyRows(path, r.def.key.name)).toBe(0);
    }
    // A new job of the same name starts without history.
    const again = minimalRecord(records[3]!.def.key, { tickAt: T0, nextAt: T0 });
    await store.create(again, { overwrite: false });
    expect(await store.history(again.def.key, 10)).toEqual([]);
  });
});
