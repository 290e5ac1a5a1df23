// The writer thread takes each write encoded as it is submitted, into the batch it is posted in.
// A write that cannot be encoded (a progress commit whose revision does not follow) rejects alone:
// what it had appended is cut off, and the writes queued before and after it in the same batch
// commit as usual. Observed on a real SQLite file, through a real writer thread.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../../src/adapters/store-sqlite/sqlite-job-store.js';
import type { JobRecord } from '../../../src/core/model/job.js';
import type { ProgressCommit } from '../../../src/core/ports/job-store.js';
import { key, minimalRecord } from '../../conformance/job-store.suite.js';

const dirs: string[] = [];
const stores: SqliteJobStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function threadedStore(maxBatch?: number): SqliteJobStore {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-writer-submit-'));
  dirs.push(dir);
  const store = new SqliteJobStore({ path: join(dir, 'jobs.db'), writerThread: true, ...(maxBatch ? { maxBatch } : {}) });
  stores.push(store);
  return store;
}

function done(record: JobRecord, rev = record.progress.rev + 1): ProgressCommit {
  const at = 1_700_000_100_000;
  return {
    key: record.def.key,
    uid: record.def.uid,
    expectedRev: record.progress.rev,
    progress: { rev, count: 1, attempts: 0, lastTrigger: at, state: 'completed', finishedAt: at },
    history: { scheduledAt: at, at, attempt: 1, outcome: 'success', manual: false },
  };
}

describe('SqliteJobStore on its writer thread: writes encoded as submitted', () => {
  it('a batch of outcomes that cannot be encoded rejects alone; its neighbours in the batch commit', async () => {
    const store = threadedStore();
    const a = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    const b = minimalRecord(key('b'), { nextAt: 1, tickAt: 1 });
    await Promise.all([store.create(a, { overwrite: false }), store.create(b, { overwrite: false })]);
    // All in one turn, so one posted batch: a good batch, a bad one (its second commit skips a revision), a create, a good one.
    const first = store.commitProgressBatch([done(a)]);
    const bad = store.commitProgressBatch([done(b), done(b, b.progress.rev + 2)]);
    const created = store.create(minimalRecord(key('c')), { overwrite: false });
    const second = store.commitProgressBatch([done(b)]);
    await expect(bad).rejects.toThrow(/expectedRev \+ 1/);
    expect(await first).toEqual([true]);
    await created;
    expect(await second).toEqual([true]);
    expect((await store.get(a.def.key))?.progress).toMatchObject({ state: 'completed', rev: a.progress.rev + 1 });
    expect((await store.get(b.def.key))?.progress).toMatchObject({ state: 'completed', rev: b.progress.rev + 1 });
    expect(await store.get(key('c'))).toBeDefined();
    expect(await store.history(b.def.key, 10)).toHaveLength(1);
  });

  it('more writes than maxBatch while one batch is in flight go out in batches of maxBatch, each answered', async () => {
    const store = threadedStore(3);
    const records = Array.from({ length: 10 }, (_, i) => minimalRecord(key(`j-${i}`), { nextAt: 1, tickAt: 1 }));
    const answers = await Promise.all([...records.map((r) => store.create(r, { overwrite: false })), ...records.map((r) => store.commitProgressBatch([done(r)]))]);
    expect(answers.slice(10)).toEqual(records.map(() => [true]));
    for (const r of records) expect((await store.get(r.def.key))?.progress.state).toBe('completed');
  });
});
