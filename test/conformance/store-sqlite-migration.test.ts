// Files written by older releases open with their jobs intact. Each test builds the old file the
// way that release did: its schema from the migrations up to that version, and its rows in that
// version's layout (the definition and progress as JSON, as versions 1 to 4 wrote them), then
// opens it with today's store and reads everything back through the JobStore port.

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/adapters/store-sqlite/index.js';
import { migrate, SCHEMA_VERSION } from '../../src/adapters/store-sqlite/schema.js';
import { parseJobRequest } from '../../src/core/model/job-request.js';
import { indexedDueAt, indexedFinishedAt, indexedStagedAt, type HistoryEntry, type JobDefinition, type JobRecord } from '../../src/core/model/job.js';
import { key, minimalRecord } from './job-store.suite.js';

/** Writes a file of schema `version` holding `records` (and `history` per job name) as that release stored them. */
function writeOldFile(path: string, version: number, records: JobRecord[], history: Record<string, HistoryEntry[]> = {}): void {
  const db = new Database(path);
  try {
    migrate(db, version);
    const columns = ['namespace', 'app_id', 'name', 'uid', 'def', 'rev', 'progress', 'due_at', ...(version >= 2 ? ['staged_at'] : []), ...(version >= 3 ? ['finished_at'] : [])];
    const insert = db.prepare(`INSERT INTO jobs (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    const insertHistory = db.prepare('INSERT INTO history (namespace, app_id, name, seq, entry) VALUES (?, ?, ?, ?, ?)');
    for (const { def, progress } of records) {
      const { namespace, appId, name } = def.key;
      const index = [indexedDueAt(progress) ?? null, ...(version >= 2 ? [indexedStagedAt(progress) ?? null] : []), ...(version >= 3 ? [indexedFinishedAt(progress) ?? null] : [])];
      insert.run(namespace, appId, name, def.uid, JSON.stringify(def), progress.rev, JSON.stringify(progress), ...index);
      (history[name] ?? []).forEach((entry, i) => insertHistory.run(namespace, appId, name, i + 1, JSON.stringify(entry)));
    }
  } finally {
    db.close();
  }
}

/** A job as the HTTP API makes it: a UUID uid, the default failure policy, the app target. */
function apiRecord(name: string, body: Record<string, unknown>, nextAt: number): JobRecord {
  const { def } = parseJobRequest(key(name), body, 1_800_000_000_000, randomUUID());
  return { def, progress: { rev: 1, count: 0, attempts: 0, tickAt: nextAt, nextAt, state: 'active' } };
}

describe('SQLite store: files of older schema versions', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duetime-sqlite-migration-'));
    path = join(dir, 'jobs.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('brings a version 4 file to the compact rows of version 5, every job and its history intact', async () => {
    const plain = apiRecord('plain', { dueTime: '2030-01-01T00:00:00Z', data: { n: 1 } }, 1_893_456_000_000);
    const custom = apiRecord(
      'custom',
      { schedule: '@every 1h', repeats: 3, ttl: '72h', data: 'x', failurePolicy: { drop: {} }, catchUp: 'none', target: { pubsub: { name: 'orders', topic: 'due' } } },
      1_800_000_360_000,
    );
    custom.progress = { rev: 7, count: 2, attempts: 1, lastTrigger: 1_800_000_000_000, tickAt: 1_800_003_600_000, nextAt: 1_800_003_601_000, state: 'active', manualAt: 1_800_000_100_000, manualAttempts: 1, manualNextAt: 1_800_000_200_000, staged: false };
    const staged = minimalRecord(key('staged', 'app-b'), { tickAt: 500, nextAt: 500, staged: true });
    const paused = minimalRecord(key('paused'), { tickAt: 700, nextAt: 700, state: 'paused', staged: true });
    const finished = minimalRecord(key('finished'), { rev: 3, count: 1, state: 'completed', lastTrigger: 900, finishedAt: 950 });
    // Written before targets were typed: decoded on read, as before the migration.
    const legacy = minimalRecord(key('legacy'), { tickAt: 800, nextAt: 800 });
    legacy.def.target = { kind: 'other', type: 'pubsub', spec: { name: 'p', topic: 't' } } as unknown as JobDefinition['target'];
    const records = [plain, custom, staged, paused, finished, legacy];
    const history: Record<string, HistoryEntry[]> = {
      custom: [
        { scheduledAt: 1, at: 2, attempt: 1, outcome: 'failed', manual: false, detail: 'HTTP 503' },
        { scheduledAt: 3, at: 4, attempt: 2, outcome: 'success', manual: true },
      ],
      finished: [{ scheduledAt: 900, at: 950, attempt: 1, outcome: 'success', manual: false }],
    };
    writeOldFile(path, 4, records, history);

    const store = new SqliteJobStore({ path });
    try {
      for (const record of [plain, custom, staged, paused, finished]) expect(await store.get(record.def.key)).toStrictEqual(record);
      expect((await store.get(legacy.def.key))?.def).toMatchObject({ target: { kind: 'pubsub', name: 'p', topic: 't' }, targetSource: { name: 'p', topic: 't' } });
      expect(await store.history(custom.def.key, 10)).toStrictEqual([...(history.custom ?? [])].reverse());
      expect(await store.history(finished.def.key, 10)).toStrictEqual(history.finished);
      // The indexes come back on the new table: due order, the staged app, the tombstone, the counts.
      expect((await store.dueBefore(Number.MAX_SAFE_INTEGER, 10)).map((r) => r.def.key.name)).toEqual(['legacy', 'custom', 'plain']);
      expect((await store.staged('default', 'app-b', 10)).map((r) => r.def.key.name)).toEqual(['staged']);
      expect(await store.countLive?.('default', 'app-a')).toBe(4);
      // The guard compares the migrated uid: a commit with it lands, one with another uid does not.
      const next = { ...plain.progress, rev: 2, count: 1 };
      expect(await store.commitProgress({ key: plain.def.key, uid: 'not-the-uid', expectedRev: 1, progress: next })).toBe(false);
      expect(await store.commitProgress({ key: plain.def.key, uid: plain.def.uid, expectedRev: 1, progress: next })).toBe(true);
      expect((await store.get(plain.def.key))?.progress).toStrictEqual(next);
      expect(await store.purgeFinished(1_000, 10)).toBe(1);
      await store.delete(staged.def.key);
      expect(await store.countLive?.('default', 'app-b')).toBe(0);
    } finally {
      await store.close();
    }

    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const columns = (db.prepare("SELECT name FROM pragma_table_info('jobs')").pluck().all() as string[]);
      expect(columns).not.toContain('progress');
      const row = db.prepare("SELECT uid, def FROM jobs WHERE name = 'plain'").get() as { uid: Buffer; def: string };
      // Stored once and compact: a UUID in 16 bytes; no key, uid or defaults in the JSON.
      expect(Buffer.isBuffer(row.uid) && row.uid.length).toBe(16);
      expect(JSON.parse(row.def)).toStrictEqual({ createdAt: 1_800_000_000_000, dueTime: '2030-01-01T00:00:00Z', dueAt: 1_893_456_000_000, data: { n: 1 } });
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' AND sql IS NOT NULL ORDER BY name").pluck().all();
      // Version 8: jobs_staged_in_namespace is gone (namespaces are released app by app).
      expect(indexes).toEqual(['jobs_due_at', 'jobs_finished', 'jobs_staged']);
      // Version 7: creates, revives and finishes are counted by the store at COMMIT, deletes by a trigger.
      const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all();
      expect(triggers).toEqual(['app_jobs_delete']);
    } finally {
      db.close();
    }
  });

  it('numbers history on from the newest entry of a version 5 file and knows which jobs have none (version 6)', async () => {
    const withHistory = minimalRecord(key('with-history'), { tickAt: 1_000, nextAt: 1_000 });
    const without = minimalRecord(key('without'), { tickAt: 1_000, nextAt: 1_000 });
    const entry = (n: number): HistoryEntry => ({ scheduledAt: n, at: n + 1, attempt: 1, outcome: 'success', manual: false });
    writeOldFile(path, 4, [withHistory, without], { 'with-history': [entry(1), entry(2), entry(3)] });
    const db = new Database(path);
    try {
      migrate(db, 5);
      // History left by no job: no release writes it, and version 6 must not count it as a job's.
      db.prepare('INSERT INTO history (namespace, app_id, name, seq, entry) VALUES (?, ?, ?, ?, ?)').run('default', 'app-a', 'gone', 1, JSON.stringify(entry(9)));
    } finally {
      db.close();
    }

    const store = new SqliteJobStore({ path, historyLimit: 3 });
    try {
      const next = { ...withHistory.progress, rev: 2, count: 1 };
      expect(await store.commitProgress({ key: withHistory.def.key, uid: withHistory.def.uid, expectedRev: 1, progress: next, history: entry(4) })).toBe(true);
      // Appended after the newest entry and trimmed to the limit: not numbered from 1 again.
      expect(await store.history(withHistory.def.key, 10)).toStrictEqual([entry(4), entry(3), entry(2)]);
      expect(await store.commitProgress({ key: without.def.key, uid: without.def.uid, expectedRev: 1, progress: null })).toBe(true);
      expect(await store.commitProgress({ key: withHistory.def.key, uid: withHistory.def.uid, expectedRev: 2, progress: null })).toBe(true);
      // A new job under either name, or under the name the stray history had, starts without history.
      for (const name of ['with-history', 'without', 'gone']) {
        const fresh = minimalRecord(key(name), { tickAt: 2_000, nextAt: 2_000 });
        await store.create(fresh, { overwrite: false });
        expect(await store.history(fresh.def.key, 10)).toEqual([]);
      }
    } finally {
      await store.close();
    }
  });

  it('brings a version 2 file (before tombstones) to today with its jobs', async () => {
    const live = minimalRecord(key('from-v2'), { tickAt: 1_000, nextAt: 1_000 });
    writeOldFile(path, 2, [live]);
    const store = new SqliteJobStore({ path });
    try {
      expect(await store.get(live.def.key)).toStrictEqual(live);
      const finished = { rev: 2, count: 1, attempts: 0, state: 'completed' as const, finishedAt: 5_000, lastTrigger: 1_000 };
      expect(await store.commitProgress({ key: live.def.key, uid: live.def.uid, expectedRev: 1, progress: finished })).toBe(true);
      expect(await store.purgeFinished(5_000, 10)).toBe(1);
    } finally {
      await store.close();
    }
  });
});
