import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/adapters/store-sqlite/index.js';
import { jobStoreConformance, key, minimalRecord } from './job-store.suite.js';

jobStoreConformance('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'duetime-sqlite-'));
  const store = new SqliteJobStore({ path: join(dir, 'jobs.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// The same suite with writes committed on a worker thread (off by default; see sqlite-job-store.ts).
jobStoreConformance('sqlite (writer thread)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'duetime-sqlite-'));
  const store = new SqliteJobStore({ path: join(dir, 'jobs.db'), writerThread: true });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// What only the SQLite store has: a file path, batching options, and a lifecycle.
describe('SqliteJobStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duetime-sqlite-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the path when the directory does not exist', () => {
    const path = join(dir, 'no-such-dir', 'jobs.db');
    expect(() => new SqliteJobStore({ path })).toThrow(path);
  });

  it('names the path when it cannot be written', async () => {
    // A regular file where a directory should be: unwritable even for root.
    await writeFile(join(dir, 'plain-file'), 'x');
    const path = join(dir, 'plain-file', 'jobs.db');
    expect(() => new SqliteJobStore({ path })).toThrow(path);
  });

  it('names the path when the file is not a database', async () => {
    const path = join(dir, 'garbage.db');
    await writeFile(path, 'this is not an SQLite file, not even close'.repeat(100));
    expect(() => new SqliteJobStore({ path })).toThrow(path);
  });

  it('rejects bad options', () => {
    const path = join(dir, 'jobs.db');
    expect(() => new SqliteJobStore({ path, maxBatch: 0 })).toThrow(/maxBatch/);
    expect(() => new SqliteJobStore({ path, historyLimit: -1 })).toThrow(/historyLimit/);
  });

  it('commits early when a batch reaches maxBatch, and keeps its history limit', async () => {
    const store = new SqliteJobStore({ path: join(dir, 'jobs.db'), maxBatch: 3, historyLimit: 2 });
    const records = Array.from({ length: 10 }, (_, i) => minimalRecord(key(`j${i}`)));
    await Promise.all(records.map((r) => store.create(r, { overwrite: false })));
    expect((await store.list('default', 'app-a', { limit: 100 })).records).toHaveLength(10);
    const r = records[0];
    if (!r) throw new Error('fixture');
    for (let rev = 1; rev <= 4; rev++) {
      const entry = { scheduledAt: rev, at: rev, attempt: 1, outcome: 'success' as const, manual: false };
      await store.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: rev, progress: { ...r.progress, rev: rev + 1 }, history: entry });
    }
    expect((await store.history(r.def.key, 10)).map((e) => e.scheduledAt)).toEqual([4, 3]);
    await store.close();
  });

  it('flushes queued writes on close and refuses calls afterwards', async () => {
    const path = join(dir, 'jobs.db');
    const store = new SqliteJobStore({ path });
    const created = store.create(minimalRecord(key('last-words')), { overwrite: false });
    await store.close();
    await created;
    await store.close();
    await expect(store.get(key('last-words'))).rejects.toThrow(/closed/);
    await expect(store.create(minimalRecord(key('late')), { overwrite: false })).rejects.toThrow(/closed/);

    const reopened = new SqliteJobStore({ path });
    expect(await reopened.get(key('last-words'))).toBeDefined();
    await reopened.close();
  });

  it('refuses a file from a newer schema version', async () => {
    const path = join(dir, 'jobs.db');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    db.pragma('user_version = 999');
    db.close();
    expect(() => new SqliteJobStore({ path })).toThrow(/newer/);
  });

  it('brings a file of schema version 2 (before tombstones) to version 3 with its jobs', async () => {
    const path = join(dir, 'jobs.db');
    const live = minimalRecord(key('from-v2'), { tickAt: 1_000, nextAt: 1_000 });
    const first = new SqliteJobStore({ path });
    await first.create(live, { overwrite: false });
    await first.close();
    // Take the file back to version 2 as that release left it: no finished_at, no jobs_finished.
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    db.exec('DROP TRIGGER app_jobs_insert; DROP TRIGGER app_jobs_delete; DROP TRIGGER app_jobs_finish; DROP TABLE app_jobs;');
    db.exec('DROP INDEX jobs_finished; ALTER TABLE jobs DROP COLUMN finished_at;');
    db.pragma('user_version = 2');
    db.close();

    const store = new SqliteJobStore({ path });
    expect(await store.get(live.def.key)).toEqual(live);
    const finished = { rev: 2, count: 1, attempts: 0, state: 'completed' as const, finishedAt: 5_000, lastTrigger: 1_000 };
    expect(await store.commitProgress({ key: live.def.key, uid: live.def.uid, expectedRev: 1, progress: finished })).toBe(true);
    expect(await store.purgeFinished(5_000, 10)).toBe(1);
    await store.close();
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(4);
    check.close();
  });

  it('fails only the write SQLite refuses, and commits the rest of its batch', async () => {
    const store = new SqliteJobStore({ path: join(dir, 'jobs.db') });
    const before = minimalRecord(key('before'));
    const broken = minimalRecord(key('broken'));
    // A uid is required: the NOT NULL constraint fails this one write inside the transaction.
    (broken.def as { uid?: string }).uid = undefined;
    const after = minimalRecord(key('after'));
    const results = await Promise.allSettled([before, broken, after].map((r) => store.create(r, { overwrite: false })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.list('default', 'app-a', { limit: 10 })).records.map((r) => r.def.key.name)).toEqual(['after', 'before']);
    await store.close();
  });

  it('rejects a value JSON cannot hold, alone', async () => {
    const store = new SqliteJobStore({ path: join(dir, 'jobs.db') });
    const bad = minimalRecord(key('bad'));
    bad.def.data = { n: 10n };
    const good = minimalRecord(key('good'));
    const results = await Promise.allSettled([store.create(bad, { overwrite: false }), store.create(good, { overwrite: false })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(await store.get(key('good'))).toBeDefined();
    await store.close();
  });
});
