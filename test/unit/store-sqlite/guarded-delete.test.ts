// The engine's guarded delete of a finished job (progress null): removes the row and, when the job
// wrote history, its history; refused (the row kept) when the guard's rev or uid does not match.
// On a real SQLite file, in-thread, through the store's public calls.

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

function newStore(): SqliteJobStore {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-guarded-delete-'));
  dirs.push(dir);
  const store = new SqliteJobStore({ path: join(dir, 'jobs.db') });
  stores.push(store);
  return store;
}

const AT = 1_700_000_100_000;

function retry(record: JobRecord): ProgressCommit {
  return {
    key: record.def.key,
    uid: record.def.uid,
    expectedRev: record.progress.rev,
    progress: { rev: record.progress.rev + 1, count: 0, attempts: 1, lastTrigger: AT, state: 'active', tickAt: AT + 1_000, nextAt: AT + 1_000 },
    history: { scheduledAt: AT, at: AT, attempt: 1, outcome: 'failed', manual: false },
  };
}

function deleteIf(record: JobRecord, expectedRev: number, uid = record.def.uid): ProgressCommit {
  return { key: record.def.key, uid, expectedRev, progress: null, history: { scheduledAt: AT, at: AT + 1_000, attempt: 2, outcome: 'success', manual: false } };
}

describe('SQLite guarded delete of a finished job', () => {
  it('deletes a job that wrote no history', async () => {
    const store = newStore();
    const a = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    await store.create(a, { overwrite: false });
    await store.commitProgressBatch([deleteIf(a, a.progress.rev)]);
    expect(await store.get(a.def.key)).toBeUndefined();
    expect(await store.history(a.def.key, 10)).toEqual([]);
  });

  it('deletes a job and the history it wrote; a new job of the same name starts with none', async () => {
    const store = newStore();
    const a = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    await store.create(a, { overwrite: false });
    await store.commitProgressBatch([retry(a)]);
    expect(await store.history(a.def.key, 10)).toHaveLength(1);
    await store.commitProgressBatch([deleteIf(a, a.progress.rev + 1)]);
    expect(await store.get(a.def.key)).toBeUndefined();
    expect(await store.history(a.def.key, 10)).toEqual([]);
    const again = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    await store.create(again, { overwrite: false });
    expect(await store.history(again.def.key, 10)).toEqual([]);
  });

  it('keeps the job and its history when the guard does not match', async () => {
    const store = newStore();
    const a = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    await store.create(a, { overwrite: false });
    await store.commitProgressBatch([retry(a)]);
    await store.commitProgressBatch([deleteIf(a, a.progress.rev)]); // stale rev
    await store.commitProgressBatch([deleteIf(a, a.progress.rev + 1, 'another-uid')]);
    expect((await store.get(a.def.key))?.progress.rev).toBe(a.progress.rev + 1);
    expect(await store.history(a.def.key, 10)).toHaveLength(1);
  });
});
