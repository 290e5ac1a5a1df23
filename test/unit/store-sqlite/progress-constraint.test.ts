// A progress commit that a constraint of the row refuses (here NOT NULL on count) changes nothing,
// and neither does the rest of its batch: the engine retries a batch as a whole. The progress
// UPDATEs run OR FAIL (no statement journal; statements.ts): this holds because the store undoes
// a failed batch, not because SQLite undid the one statement. On a real SQLite file.

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

const AT = 1_700_000_100_000;

function commit(record: JobRecord, count: number | null): ProgressCommit {
  return {
    key: record.def.key,
    uid: record.def.uid,
    expectedRev: record.progress.rev,
    progress: { rev: record.progress.rev + 1, count: count as number, attempts: 0, lastTrigger: AT, state: 'completed', tickAt: AT, finishedAt: AT + 5 },
    history: { scheduledAt: AT, at: AT + 1, attempt: 1, outcome: 'success', manual: false },
  };
}

describe.each([
  ['in-thread', false],
  ['on the writer thread', true],
])('SQLite progress commits refused by a constraint (%s)', (_label, writerThread) => {
  it('change neither their row nor the rest of their batch, which commits once sound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duetime-progress-constraint-'));
    dirs.push(dir);
    const store = new SqliteJobStore({ path: join(dir, 'jobs.db'), writerThread });
    stores.push(store);
    const a = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    const b = minimalRecord(key('b'), { nextAt: 1, tickAt: 1 });
    await store.create(a, { overwrite: false });
    await store.create(b, { overwrite: false });

    await expect(store.commitProgressBatch([commit(a, 1), commit(b, null)])).rejects.toThrow(/NOT NULL/);
    expect((await store.get(a.def.key))?.progress).toEqual(a.progress);
    expect((await store.get(b.def.key))?.progress).toEqual(b.progress);
    expect(await store.history(a.def.key, 10)).toEqual([]);

    expect(await store.commitProgressBatch([commit(a, 1), commit(b, 1)])).toEqual([true, true]);
    expect((await store.get(a.def.key))?.progress.state).toBe('completed');
    expect(await store.history(b.def.key, 10)).toHaveLength(1);
  });
});
