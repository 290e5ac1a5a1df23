// The embedded default JobStore: one SQLite file, written through a group commit so that one
// fsync serves every write queued in the same turn of the event loop.

import Database from 'better-sqlite3';
import { JobExistsError } from '../../core/errors.js';
import { progressDueAt, type HistoryEntry, type JobKey, type JobRecord, type Progress } from '../../core/model/job.js';
import type { JobStore, ListOptions, ListPage, ProgressCommit } from '../../core/ports/job-store.js';
import { GroupCommit } from './group-commit.js';
import { listLowerBound, prefixUpperBound } from './name-range.js';
import { applyPragmas, migrate } from './schema.js';
import { prepareStatements, type JobColumns, type KeyParams, type Statements } from './statements.js';

export interface SqliteJobStoreOptions {
  /** The database file; created with its schema when missing. Its directory must exist. */
  path: string;
  /** History entries kept per job, newest first. @defaultValue 20 */
  historyLimit?: number;
  /** Writes per group commit: a batch is committed early once it holds this many. @defaultValue 2000 */
  maxBatch?: number;
  /** How long a write waits for another connection's lock before failing. @defaultValue 5000 */
  busyTimeoutMs?: number;
}

export const SQLITE_STORE_DEFAULTS = { historyLimit: 20, maxBatch: 2000, busyTimeoutMs: 5000 } as const;

export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;
  private readonly sql: Statements;
  private readonly writes: GroupCommit;
  private readonly historyLimit: number;
  private closed = false;

  /** Opens (or creates) the file; throws an Error naming the path when it cannot. */
  constructor(options: SqliteJobStoreOptions) {
    this.historyLimit = nonNegativeInteger('historyLimit', options.historyLimit ?? SQLITE_STORE_DEFAULTS.historyLimit);
    const maxBatch = nonNegativeInteger('maxBatch', options.maxBatch ?? SQLITE_STORE_DEFAULTS.maxBatch);
    if (maxBatch < 1) throw new RangeError('maxBatch must be at least 1');
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path, { fileMustExist: false });
      applyPragmas(db, { busyTimeoutMs: options.busyTimeoutMs ?? SQLITE_STORE_DEFAULTS.busyTimeoutMs });
      migrate(db);
      this.sql = prepareStatements(db);
    } catch (error) {
      db?.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot open the SQLite job store at "${options.path}": ${reason}`, { cause: error });
    }
    this.db = db;
    const { begin, commit, rollback, savepoint, release, rollbackTo } = this.sql;
    this.writes = new GroupCommit(
      {
        begin: () => begin.run(),
        commit: () => commit.run(),
        rollback: () => rollback.run(),
        savepoint: () => savepoint.run(),
        release: () => release.run(),
        rollbackTo: () => rollbackTo.run(),
        inTransaction: () => db.inTransaction,
      },
      maxBatch,
    );
  }

  create(record: JobRecord, options: { overwrite: boolean }): Promise<void> {
    // Serialise now: the caller may change the object after this call, and a value JSON cannot
    // hold fails this call alone.
    let row;
    try {
      row = jobRow(record);
    } catch (error) {
      return Promise.reject(error);
    }
    const name = record.def.key.name;
    const overwrite = options.overwrite;
    return this.writes.submit(() => {
      if (overwrite) {
        // A new job: new definition, the given progress, no history from the one it replaces.
        this.sql.replaceJob.run(row);
        this.sql.deleteHistory.run(row);
      } else if (this.sql.insertJob.run(row).changes === 0) {
        throw new JobExistsError(name);
      }
    });
  }

  async get(key: JobKey): Promise<JobRecord | undefined> {
    this.readable();
    const row = this.sql.getJob.get(keyParams(key));
    return row && parseRecord(row);
  }

  delete(key: JobKey): Promise<boolean> {
    const params = keyParams(key);
    return this.writes.submit(() => {
      if (this.sql.deleteJob.run(params).changes === 0) return false;
      this.sql.deleteHistory.run(params);
      return true;
    });
  }

  deleteByPrefix(namespace: string, appId: string, prefix: string): Promise<number> {
    const upper = prefixUpperBound(prefix);
    const range = { namespace, app_id: appId, lower: prefix };
    return this.writes.submit(() => {
      if (upper === undefined) {
        this.sql.deleteHistoryFrom.run(range);
        return this.sql.deleteJobsFrom.run(range).changes;
      }
      this.sql.deleteHistoryRange.run({ ...range, upper });
      return this.sql.deleteJobRange.run({ ...range, upper }).changes;
    });
  }

  async list(namespace: string, appId: string, options: ListOptions): Promise<ListPage> {
    this.readable();
    const prefix = options.prefix ?? '';
    const upper = prefixUpperBound(prefix);
    const lower = listLowerBound(prefix, options.after);
    const limit = Math.max(0, Math.trunc(options.limit));
    // One row more than asked tells whether another page follows.
    const params = { namespace, app_id: appId, lower, limit: limit + 1 };
    const rows = upper === undefined ? this.sql.listFrom.all(params) : this.sql.listRange.all({ ...params, upper });
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const records = page.map(parseRecord);
    const last = page[page.length - 1];
    return more && last ? { records, next: last.name } : { records };
  }

  commitProgress(commit: ProgressCommit): Promise<boolean> {
    const { progress, history } = commit;
    if (progress && progress.rev !== commit.expectedRev + 1) {
      return Promise.reject(new RangeError(`progress.rev must be expectedRev + 1 (${commit.expectedRev + 1}), got ${progress.rev}`));
    }
    const key = keyParams(commit.key);
    const guard = { ...key, uid: commit.uid, expected_rev: commit.expectedRev };
    if (progress === null) {
      return this.writes.submit(() => {
        if (this.sql.deleteJobIf.run(guard).changes === 0) return false;
        this.sql.deleteHistory.run(key);
        return true;
      });
    }
    let update, entry: string | undefined;
    try {
      update = { ...guard, ...progressColumns(progress) };
      entry = history && JSON.stringify(history);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.writes.submit(() => {
      if (this.sql.updateProgress.run(update).changes === 0) return false;
      if (entry !== undefined) this.appendHistory(key, entry);
      return true;
    });
  }

  async dueBefore(until: number, limit: number): Promise<JobRecord[]> {
    this.readable();
    return this.sql.dueBefore.all({ until, limit: Math.max(0, Math.trunc(limit)) }).map(parseRecord);
  }

  async history(key: JobKey, limit: number): Promise<HistoryEntry[]> {
    this.readable();
    const rows = this.sql.history.all({ ...keyParams(key), limit: Math.max(0, Math.trunc(limit)) });
    return rows.map((entry) => JSON.parse(entry) as HistoryEntry);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.writes.close();
    this.db.close();
  }

  private appendHistory(key: KeyParams, entry: string): void {
    if (this.historyLimit === 0) return;
    const seq = (this.sql.lastHistorySeq.get(key) ?? 0) + 1;
    this.sql.insertHistory.run({ ...key, seq, entry });
    // seq counts up by one per entry, so the newest historyLimit are exactly those above this.
    if (seq > this.historyLimit) this.sql.trimHistory.run({ ...key, keep_after: seq - this.historyLimit });
  }

  /** Reads see every write of this process, including those still queued: commit them first. */
  private readable(): void {
    if (this.closed) throw new Error('the SQLite job store is closed');
    if (this.writes.pending > 0) this.writes.flushNow();
  }
}

function keyParams(key: JobKey): KeyParams {
  return { namespace: key.namespace, app_id: key.appId, name: key.name };
}

function progressColumns(progress: Progress): { rev: number; progress: string; due_at: number | null } {
  return { rev: progress.rev, progress: JSON.stringify(progress), due_at: progressDueAt(progress) ?? null };
}

function jobRow(record: JobRecord) {
  return { ...keyParams(record.def.key), uid: record.def.uid, def: JSON.stringify(record.def), ...progressColumns(record.progress) };
}

function parseRecord(row: JobColumns): JobRecord {
  return { def: JSON.parse(row.def) as JobRecord['def'], progress: JSON.parse(row.progress) as Progress };
}

function nonNegativeInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${field} must be a non-negative integer, got ${value}`);
  return value;
}
