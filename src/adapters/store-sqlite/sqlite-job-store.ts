// The embedded default JobStore: one SQLite file, written through a group commit so that one
// fsync serves every write queued in the same turn of the event loop. With writerThread: true the
// batches are committed on a worker thread with its own connection (writer-thread.ts), so the
// event loop keeps serving while the WAL is written and fsync'd; reads stay on this thread's
// connection.

import Database from 'better-sqlite3';
import type { HistoryEntry, JobDefinition, JobKey, JobRecord } from '../../core/model/job.js';
import { noticeWritten, type DeleteByPrefixOptions, type DueRead, type JobStore, type ListOptions, type ListPage, type ProgressCommit, type StagedCount, type WriteNotice } from '../../core/ports/job-store.js';
import type { LiveCountChanges } from './live-count-changes.js';
import { GroupCommit } from './group-commit.js';
import { listLowerBound, prefixUpperBound } from './name-range.js';
import { decodeDefinition, encodeDefinition, progressArgs, progressOf, uidOf } from './row-codec.js';
import { applyPragmas, migrate } from './schema.js';
import { SharedStrings } from './shared-strings.js';
import { prepareStatements, type JobColumns, type JobRowParams, type KeyParams, type Statements } from './statements.js';
import { applyWriteOp, checkProgressRev, needsFullSync, transactionControl, type ProgressOp, type WriteOp } from './write-ops.js';
import { encodeProgressCommits } from './writer-codec.js';
import { WriterThread } from './writer-thread.js';

export interface SqliteJobStoreOptions {
  /** The database file; created with its schema when missing. Its directory must exist. */
  path: string;
  /** History entries kept per job, newest first. @defaultValue 20 */
  historyLimit?: number;
  /** Writes per group commit: a batch is committed early once it holds this many. @defaultValue 2000 */
  maxBatch?: number;
  /** How long a write waits for another connection's lock before failing. @defaultValue 5000 */
  busyTimeoutMs?: number;
  /**
   * Commit on a worker thread with its own write connection (true), or on the calling thread
   * (false). The thread takes 25 to 30% of the main thread's CPU per HTTP schedule off it but
   * costs about 10% more CPU in all (cloning batches and answers); on a loaded 2-core machine
   * (2026-11-25, alternating A/B runs) it did not schedule faster. The server (main.ts) turns it
   * on all the same: in-thread, every COMMIT holds the event loop for its fsync, and at a steady
   * trigger rate those waits were the lateness tail (issue 12, docs/benchmarks.md stage 7). Off
   * here, for the store used alone (tests, the engine-ceiling bench). @defaultValue false
   */
  writerThread?: boolean;
  /** Staged index entries counted per slice of stagedCounts(): 20,000 took 6-7 ms here (2026-12-04). @defaultValue 10000 */
  stagedCountPage?: number;
  /**
   * Due index entries read per turn of the event loop by dueBefore() with `held` and dueBetween()
   * (a refill): 256 rows read and parsed took 2.4-2.6 ms of CPU, 128 took 1.3-1.5 ms (2026-12-04).
   * @defaultValue 128
   */
  dueBeforePage?: number;
}

export const SQLITE_STORE_DEFAULTS = { historyLimit: 20, maxBatch: 2000, busyTimeoutMs: 5000, writerThread: false, stagedCountPage: 10_000, dueBeforePage: 128 } as const;

export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;
  private readonly sql: Statements;
  /** Exactly one of these: the writer thread, or the in-thread group commit. */
  private readonly thread: WriterThread | undefined;
  private readonly writes: GroupCommit | undefined;
  /** The in-thread group commit's live count changes of the open transaction (live-count-changes.ts). */
  private readonly live: LiveCountChanges | undefined;
  private readonly historyLimit: number;
  private readonly stagedCountPage: number;
  private readonly dueBeforePage: number;
  private closed = false;

  /** Opens (or creates) the file; throws an Error naming the path when it cannot. */
  constructor(options: SqliteJobStoreOptions) {
    this.historyLimit = nonNegativeInteger('historyLimit', options.historyLimit ?? SQLITE_STORE_DEFAULTS.historyLimit);
    this.stagedCountPage = Math.max(1, nonNegativeInteger('stagedCountPage', options.stagedCountPage ?? SQLITE_STORE_DEFAULTS.stagedCountPage));
    this.dueBeforePage = Math.max(1, nonNegativeInteger('dueBeforePage', options.dueBeforePage ?? SQLITE_STORE_DEFAULTS.dueBeforePage));
    const maxBatch = nonNegativeInteger('maxBatch', options.maxBatch ?? SQLITE_STORE_DEFAULTS.maxBatch);
    if (maxBatch < 1) throw new RangeError('maxBatch must be at least 1');
    const busyTimeoutMs = options.busyTimeoutMs ?? SQLITE_STORE_DEFAULTS.busyTimeoutMs;
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path, { fileMustExist: false });
      applyPragmas(db, { busyTimeoutMs });
      migrate(db);
      this.sql = prepareStatements(db);
    } catch (error) {
      db?.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot open the SQLite job store at "${options.path}": ${reason}`, { cause: error });
    }
    this.db = db;
    if (options.writerThread ?? SQLITE_STORE_DEFAULTS.writerThread) {
      // Opened after migrate() above, so the worker finds the schema in place.
      this.thread = new WriterThread({ path: options.path, busyTimeoutMs, historyLimit: this.historyLimit }, maxBatch);
    } else {
      const tx = transactionControl(this.sql, db);
      this.live = tx.live;
      this.writes = new GroupCommit(tx, maxBatch);
    }
  }

  /** The job replaced comes back decoded from the write's own DELETE (write-ops.ts): no read of its own. */
  create(record: JobRecord, options: { overwrite: boolean } & WriteNotice): Promise<JobDefinition | undefined> {
    // Serialise now: the caller may change the object after this call, and a value JSON cannot
    // hold fails this call alone.
    let row;
    try {
      row = jobRow(record);
    } catch (error) {
      return Promise.reject(error);
    }
    return noticeWritten(this.write({ kind: 'create', row, overwrite: options.overwrite }), options.written) as Promise<JobDefinition | undefined>;
  }

  async get(key: JobKey): Promise<JobRecord | undefined> {
    await this.readable();
    const row = this.sql.getJob.get(keyParams(key));
    return row && parseRecord(row);
  }

  delete(key: JobKey, options: WriteNotice = {}): Promise<JobDefinition | undefined> {
    return noticeWritten(this.write({ kind: 'delete', key: keyParams(key) }), options.written) as Promise<JobDefinition | undefined>;
  }

  /** One write; with onDeleted, its DELETE answers the rows it deleted, told once it has committed. */
  async deleteByPrefix(namespace: string, appId: string, prefix: string, options: DeleteByPrefixOptions = {}): Promise<number> {
    const range = { namespace, app_id: appId, lower: prefix };
    const { onDeleted, written } = options;
    // The notice on the write's own answer, not after this function's awaits (WriteNotice).
    if (!onDeleted) return (await noticeWritten(this.write({ kind: 'deleteByPrefix', range, upper: prefixUpperBound(prefix) }), written)) as number;
    const deleted = (await noticeWritten(this.write({ kind: 'deleteByPrefix', range, upper: prefixUpperBound(prefix), definitions: true }), written)) as JobDefinition[];
    for (const def of deleted) onDeleted(def);
    return deleted.length;
  }

  async list(namespace: string, appId: string, options: ListOptions): Promise<ListPage> {
    await this.readable();
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
    let op: ProgressOp;
    try {
      op = progressOp(commit);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.write(op) as Promise<boolean>;
  }

  /**
   * The whole batch as one write: one queued item, one promise, and one message to the writer
   * thread. For the writer thread the commits are encoded at once into the flat batch it is sent
   * as (writer-codec.ts), with no write object per commit: in a burst the outcomes queue here
   * faster than the thread commits them (thousands at once), and what waits should be small.
   */
  commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
    if (this.thread) return this.thread.submitEncoded(encodeProgressCommits, commits) as Promise<boolean[]>;
    let ops: ProgressOp[];
    try {
      ops = commits.map(progressOp);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.write({ kind: 'progressBatch', ops }) as Promise<boolean[]>;
  }

  async dueBefore(until: number, limit: number, held?: (key: JobKey) => boolean): Promise<JobRecord[]> {
    await this.readable();
    const max = Math.max(0, Math.trunc(limit));
    if (!held) return this.sql.dueBefore.all({ until, limit: max }).map(parseRecord);
    return (await this.duePages(Number.MIN_SAFE_INTEGER, until, max, held)).records;
  }

  /** dueBefore with `held` from the due instant `from` on, in the same pages. */
  async dueBetween(from: number, until: number, limit: number, held: (key: JobKey) => boolean): Promise<DueRead> {
    await this.readable();
    return this.duePages(from, until, Math.max(0, Math.trunc(limit)), held);
  }

  /**
   * The due keys are read first (from the due index alone) and only the jobs not held are read
   * and parsed: the engine holds most of what is due, and re-reading 20,000 held jobs of a burst
   * cost it about 100 ms of CPU per refill. When most are not held (a start, or a refill reading
   * what entered its window) one scan of the rows is cheaper than a lookup per job.
   *
   * A page (dueBeforePage entries) per turn of the event loop: in one turn, 50,000 keys and
   * 25,000 rows held every timer for 100 ms and more, the periodic lateness stall of a steady
   * trigger rate (issue 12). Not a snapshot: a job written between pages may be read in its old
   * or new state, or not at all; the engine leaves alone what it touched meanwhile
   * (core/engine/refill-guard.ts), and a later refill reads the rest.
   */
  private async duePages(from: number, until: number, max: number, held: (key: JobKey) => boolean): Promise<DueRead> {
    const records: JobRecord[] = [];
    // The cursor is exclusive; no key is empty, so this one starts at the first job due at `from`.
    let after = { at: from, namespace: '', app_id: '', name: '' };
    for (let read = 0; ; ) {
      if (read >= max) return { records, next: after.at };
      const params = { ...after, until, limit: Math.min(this.dueBeforePage, max - read) };
      const keys = this.sql.dueKeysAfter.all(params);
      const wanted = keys.filter((k) => !held({ namespace: k.namespace, appId: k.app_id, name: k.name }));
      if (wanted.length * 2 > keys.length) {
        for (const row of this.sql.dueRowsAfter.all(params)) {
          if (!held({ namespace: row.namespace, appId: row.app_id, name: row.name })) records.push(parseRecord(row));
        }
      } else {
        for (const k of wanted) {
          const row = this.sql.getJob.get({ namespace: k.namespace, app_id: k.app_id, name: k.name });
          if (row) records.push(parseRecord(row));
        }
      }
      read += keys.length;
      const last = keys[keys.length - 1];
      if (!last || keys.length < params.limit) return { records, next: until };
      after = { at: last.due_at, namespace: last.namespace, app_id: last.app_id, name: last.name };
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.closed || !this.db.open) throw new Error('the SQLite job store is closed');
    }
  }

  async staged(namespace: string, appId: string, limit: number, held?: (key: JobKey) => boolean): Promise<JobRecord[]> {
    await this.readable();
    const rows = this.sql.stagedOfApp.all({ namespace, app_id: appId, limit: Math.max(0, Math.trunc(limit)) });
    const records: JobRecord[] = [];
    for (const row of rows) {
      if (held?.({ namespace: row.namespace, appId: row.app_id, name: row.name })) continue;
      records.push(parseRecord(row));
    }
    return records;
  }

  /**
   * Walks the staged index one page at a time, yielding to the event loop between pages: at a
   * million staged jobs one GROUP BY walk held the event loop 200-260 ms per scrape of /metrics
   * (2026-12-03 bench); paged, the longest turn was 3.8 ms (2026-12-04, 1M staged, two apps).
   * Not a snapshot: a job staged or released during the walk may be counted or not.
   */
  async stagedCounts(): Promise<StagedCount[]> {
    await this.readable();
    const counts: StagedCount[] = [];
    const nextApp = (after: { namespace: string; app_id: string }) =>
      this.sql.nextStagedAppInNamespace.get(after) ?? this.sql.firstStagedAppAfterNamespace.get({ namespace: after.namespace });
    let app = this.sql.firstStagedAppAfterNamespace.get({ namespace: '' }); // namespaces are never empty
    while (app) {
      let count = 0;
      let after = { at: Number.MIN_SAFE_INTEGER, name: '' };
      for (;;) {
        const page = this.sql.stagedCountPage.get({ namespace: app.namespace, app_id: app.app_id, after_at: after.at, after_name: after.name, limit: this.stagedCountPage });
        if (!page) break;
        count += page.count;
        after = { at: page.staged_at, name: page.name };
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.closed) throw new Error('the SQLite job store is closed');
        if (page.count < this.stagedCountPage) break;
      }
      if (count > 0) counts.push({ namespace: app.namespace, appId: app.app_id, count });
      app = nextApp(app);
    }
    return counts;
  }

  /**
   * One row of app_jobs, kept in step with every write in its own transaction (schema version 4;
   * since version 7 the writer adds creates and finishes at COMMIT, a trigger deletes), as
   * committed: unlike the other reads, this one does not wait for this process's writes still
   * queued or in flight. Its reader, the --max-jobs-per-app check before every schedule, already
   * lets concurrent writes pass the limit by their number (app-quota.ts); waiting made every
   * schedule wait for the writer thread and cut its batches short (a read posts what is queued
   * at once): with the default limit on, 12 to 28% fewer schedules/s and 12 to 32% more CPU per
   * schedule than with it off; without the wait, 4 to 11% and 7 to 16%, the read itself
   * (2026-12-04, both servers side by side, each under its own wrk, load 7 on 2 cores).
   */
  async countLive(namespace: string, appId: string): Promise<number> {
    if (this.closed || !this.db.open) throw new Error('the SQLite job store is closed');
    return this.sql.liveCount.get({ namespace, app_id: appId }) ?? 0;
  }

  /** app_jobs whole: one row per app, kept as countLive says. */
  async liveCounts(): Promise<StagedCount[]> {
    await this.readable();
    return this.sql.liveCounts.all().map((row) => ({ namespace: row.namespace, appId: row.app_id, count: row.live }));
  }

  /** One write: the tombstones' keys are read and deleted in the same transaction. */
  purgeFinished(finishedBefore: number, limit: number): Promise<number> {
    return this.write({ kind: 'purgeFinished', finishedBefore, limit }) as Promise<number>;
  }

  async history(key: JobKey, limit: number): Promise<HistoryEntry[]> {
    await this.readable();
    const rows = this.sql.history.all({ ...keyParams(key), limit: Math.max(0, Math.trunc(limit)) });
    return rows.map((entry) => JSON.parse(entry) as HistoryEntry);
  }

  /**
   * The writer thread is committing a batch, so the file's write lock may be this store's own:
   * a write probe (write-probe.ts) must not wait for it on the event loop nor take it for another
   * process's. Always false with the in-thread group commit, whose transactions never outlast a
   * turn of the event loop.
   */
  get writeInFlight(): boolean {
    return this.thread?.busy ?? false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Writes submitted before close() still commit; the writer thread ends after them.
    await this.thread?.close();
    this.writes?.close();
    this.db.close();
  }

  /** Writes are plain data (WriteOp), applied here or on the writer thread by the same function. */
  private write(op: WriteOp): Promise<unknown> {
    if (this.thread) return this.thread.submit(op);
    const { writes, live } = this; // set together, when there is no writer thread
    if (!writes || !live) return Promise.reject(new Error('the SQLite job store has no writer'));
    // Progress commits (the engine's outcomes) may wait a little to share a COMMIT in a burst.
    const deferrable = op.kind === 'progress' || op.kind === 'deleteIf' || op.kind === 'progressBatch';
    return writes.submit(() => applyWriteOp(this.sql, this.historyLimit, op, live), deferrable, needsFullSync(op));
  }

  /**
   * Reads see every write of this process, including those queued or in flight: commit them
   * first (in this thread), or wait until the writer thread has settled them.
   */
  private async readable(): Promise<void> {
    if (this.closed) throw new Error('the SQLite job store is closed');
    if (this.thread) {
      if (this.thread.pending > 0) await this.thread.sync();
    } else if (this.writes && this.writes.pending > 0) {
      this.writes.flushNow();
    }
    // A read that was waiting when close() began still runs: close() closes the connection only
    // after the writer thread has ended, which is after this continuation.
    if (!this.db.open) throw new Error('the SQLite job store is closed');
  }
}

function keyParams(key: JobKey): KeyParams {
  return { namespace: key.namespace, app_id: key.appId, name: key.name };
}

/**
 * Written out in full, not `{ ...keyParams(key), uid, ... }`: on Node 20 a spread copy that gains
 * properties takes a slow path (about 1.5 µs) and gets a map of its own, once per write.
 */
function jobRow(record: JobRecord): JobRowParams {
  const { key, uid } = record.def;
  return {
    namespace: key.namespace,
    app_id: key.appId,
    name: key.name,
    uid,
    def: encodeDefinition(record.def),
    progress: progressArgs(record.progress),
  };
}

/** The namespaces and app ids of the rows read, one copy each (shared-strings.ts). */
const keyStrings = new SharedStrings();

/** A row back into a record (row-codec.ts); the key object is built from the key columns. */
function parseRecord(row: JobColumns): JobRecord {
  const key = { namespace: keyStrings.of(row.namespace), appId: keyStrings.of(row.app_id), name: row.name };
  return { def: decodeDefinition(key, uidOf(row.uid), row.def), progress: progressOf(row) };
}

function nonNegativeInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${field} must be a non-negative integer, got ${value}`);
  return value;
}

/** A progress commit as the write that applies it; throws on a revision that does not follow. */
function progressOp(commit: ProgressCommit): ProgressOp {
  checkProgressRev(commit);
  const { progress, history } = commit;
  // Parameter objects are written out in full: see jobRow.
  const { namespace, appId: app_id, name } = commit.key;
  const { uid, expectedRev: expected_rev } = commit;
  const guard = { namespace, app_id, name, uid, expected_rev };
  // The guard carries the key columns too, so it also serves as the key.
  if (progress === null) return { kind: 'deleteIf', guard, key: guard };
  return { kind: 'progress', guard, progress: progressArgs(progress), key: guard, entry: history && JSON.stringify(history) };
}
