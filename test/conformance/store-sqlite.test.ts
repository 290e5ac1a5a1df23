import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/adapters/store-sqlite/index.js';
import { prepareStatements } from '../../src/adapters/store-sqlite/statements.js';
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

// At 10 million jobs a statement that walks the table, or sorts what it read, holds the event
// loop for seconds: every statement the store prepares must find its rows through an index.
describe('SqliteJobStore query plans', () => {
  it('no statement scans the jobs table or sorts its rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duetime-sqlite-plans-'));
    try {
      const path = join(dir, 'jobs.db');
      await new SqliteJobStore({ path }).close();
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(path);
      try {
        const plans: Record<string, string> = {};
        for (const [name, statement] of Object.entries(prepareStatements(db))) {
          const source = (statement as { source?: string }).source ?? '';
          if (!/^\s*(SELECT|UPDATE|DELETE|WITH)/i.test(source)) continue;
          const named = [...new Set(source.match(/@\w+/g) ?? [])].map((p) => p.slice(1));
          const args = named.length > 0 ? [Object.fromEntries(named.map((p) => [p, 1]))] : Array.from({ length: (source.match(/\?/g) ?? []).length }, () => 1);
          plans[name] = (db.prepare(`EXPLAIN QUERY PLAN ${source}`).all(...args) as { detail: string }[]).map((row) => row.detail).join(' | ');
        }
        expect(Object.keys(plans).length).toBeGreaterThan(20);
        const bad = Object.entries(plans).filter(([, plan]) => /SCAN jobs|TEMP B-TREE|USING PRIMARY KEY \(namespace=\?\)$/.test(plan));
        expect(bad).toEqual([]);
      } finally {
        db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
