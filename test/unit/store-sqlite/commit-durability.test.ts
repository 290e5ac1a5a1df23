// Which COMMITs are fsync'd. Every write a caller is answered for (a schedule, a delete, a pause,
// resume or manual trigger, which reach the store as commitProgress) commits with
// synchronous = FULL; a batch of only the engine's delivery outcomes (commitProgressBatch) or the
// sweep's purge commits with NORMAL, and a batch mixing both with FULL (group-commit.ts); the
// engine sends a turn's lone outcome as a batch of one, so it commits NORMAL too. Observed
// on a real SQLite file through the store's public calls: the level each COMMIT statement runs at.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteJobStore } from '../../../src/adapters/store-sqlite/sqlite-job-store.js';
import { needsFullSync, type WriteOp } from '../../../src/adapters/store-sqlite/write-ops.js';
import { JobsService } from '../../../src/app/jobs-service.js';
import { systemClock } from '../../../src/core/clock.js';
import { Engine } from '../../../src/core/engine/engine.js';
import type { JobRecord } from '../../../src/core/model/job.js';
import type { ProgressCommit } from '../../../src/core/ports/job-store.js';
import { key, minimalRecord } from '../../conformance/job-store.suite.js';

const dirs: string[] = [];
const stores: SqliteJobStore[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An in-thread store, and the synchronous level (2 FULL, 1 NORMAL) of every COMMIT it runs from now on. */
function observedStore(): { store: SqliteJobStore; commits: number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-commit-durability-'));
  dirs.push(dir);
  const store = new SqliteJobStore({ path: join(dir, 'jobs.db') });
  stores.push(store);
  const probe = new Database(':memory:');
  const statement = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Database.Statement;
  probe.close();
  const commits: number[] = [];
  const run = statement.run;
  vi.spyOn(statement, 'run').mockImplementation(function (this: Database.Statement, ...args: unknown[]) {
    if (this.source === 'COMMIT') commits.push(this.database.pragma('synchronous', { simple: true }) as number);
    return run.apply(this, args);
  });
  return { store, commits };
}

const FULL = 2;
const NORMAL = 1;

function outcome(record: JobRecord, finished: boolean): ProgressCommit {
  const at = 1_700_000_100_000;
  return {
    key: record.def.key,
    uid: record.def.uid,
    expectedRev: record.progress.rev,
    progress: finished
      ? { rev: record.progress.rev + 1, count: 1, attempts: 0, lastTrigger: at, state: 'completed', finishedAt: at }
      : { rev: record.progress.rev + 1, count: 1, attempts: 0, lastTrigger: at, state: 'active', tickAt: at + 60_000, nextAt: at + 60_000 },
    history: { scheduledAt: at, at, attempt: 1, outcome: 'success', manual: false },
  };
}

describe('SqliteJobStore: which commits are fsync\'d', () => {
  it('schedules and deletes commit FULL; a batch of outcomes commits NORMAL; the next schedule FULL again', async () => {
    const { store, commits } = observedStore();
    const a = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    const b = minimalRecord(key('b'), { nextAt: 1, tickAt: 1 });
    await store.create(a, { overwrite: false });
    await store.create(b, { overwrite: false });
    expect(await store.commitProgressBatch([outcome(a, true), outcome(b, false)])).toEqual([true, true]);
    await store.create(minimalRecord(key('c')), { overwrite: false });
    expect((await store.delete(key('c')))?.key).toEqual(key('c'));
    expect(commits).toEqual([FULL, FULL, NORMAL, FULL, FULL]);
  });

  it('a progress write through commitProgress (pause, resume, a manual trigger) commits FULL', async () => {
    const { store, commits } = observedStore();
    const a = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    await store.create(a, { overwrite: false });
    expect(await store.commitProgressBatch([outcome(a, false)])).toEqual([true]);
    const paused = { rev: a.progress.rev + 2, count: 1, attempts: 0, state: 'paused' as const };
    expect(await store.commitProgress({ key: a.def.key, uid: a.def.uid, expectedRev: a.progress.rev + 1, progress: paused })).toBe(true);
    expect(commits).toEqual([FULL, NORMAL, FULL]);
    expect((await store.get(a.def.key))?.progress.state).toBe('paused');
  });

  it('outcomes and a schedule queued in the same turn share one COMMIT, and it is FULL', async () => {
    const { store, commits } = observedStore();
    const a = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    await store.create(a, { overwrite: false });
    commits.length = 0;
    const done = await Promise.all([store.commitProgressBatch([outcome(a, true)]), store.create(minimalRecord(key('b')), { overwrite: false })]);
    expect(done[0]).toEqual([true]);
    expect(commits).toEqual([FULL]);
  });

  it('the engine\'s outcome alone in its turn commits NORMAL; the schedule before it FULL', async () => {
    const { store, commits } = observedStore();
    const delivered: string[] = [];
    const engine = new Engine(store, { deliver: async (trigger) => (delivered.push(trigger.key.name), { kind: 'done' }) }, systemClock, { keepFinished: () => true });
    const finished = new Promise<void>((resolve) => engine.events.on('finished', () => resolve()));
    await engine.start();
    try {
      commits.length = 0;
      await new JobsService(store, engine, systemClock).schedule(key('alone'), { dueTime: new Date(Date.now() + 50).toISOString() });
      await finished;
      expect(delivered).toEqual(['alone']);
      expect(commits).toEqual([FULL, NORMAL]);
      expect((await store.get(key('alone')))?.progress.state).toBe('completed');
    } finally {
      await engine.stop();
    }
  });

  it('the sweep\'s purge commits NORMAL', async () => {
    const { store, commits } = observedStore();
    const a = minimalRecord(key('a'), { nextAt: 1, tickAt: 1 });
    await store.create(a, { overwrite: false });
    await store.commitProgressBatch([outcome(a, true)]);
    expect(await store.purgeFinished(Number.MAX_SAFE_INTEGER, 10)).toBe(1);
    expect(commits).toEqual([FULL, NORMAL, NORMAL]);
    expect(await store.get(a.def.key)).toBeUndefined();
  });

  it('needsFullSync (the writer thread decides with it too): every kind but the outcome batch and the purge', () => {
    const k = { namespace: 'ns', app_id: 'app', name: 'a' };
    const guard = { ...k, uid: 'u', expected_rev: 1 };
    const kinds: Array<[WriteOp, boolean]> = [
      [{ kind: 'create', row: { ...k, uid: 'u', def: '{}', progress: [] as never }, overwrite: false }, true],
      [{ kind: 'delete', key: k }, true],
      [{ kind: 'deleteByPrefix', range: { namespace: 'ns', app_id: 'app', lower: '' }, upper: undefined }, true],
      [{ kind: 'deleteIf', guard, key: k }, true],
      [{ kind: 'progress', guard, progress: [] as never, key: k, entry: undefined }, true],
      [{ kind: 'progressBatch', ops: [] }, false],
      [{ kind: 'progressWire', wire: [], at: 0, count: 0 }, false],
      [{ kind: 'purgeFinished', finishedBefore: 0, limit: 1 }, false],
    ];
    for (const [op, full] of kinds) expect([op.kind, needsFullSync(op)]).toEqual([op.kind, full]);
  });
});
