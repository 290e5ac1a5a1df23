// Every statement the store runs, prepared once when the store opens. Reads return the columns
// untouched; decoding (row-codec.ts) happens in the store.

import type { Database } from 'better-sqlite3';
import { PROGRESS_COLUMNS, PROGRESS_READ_COLUMNS, type ProgressArgs, type ProgressRow } from './row-codec.js';

/**
 * The part of a better-sqlite3 statement the store uses, typed by its parameters and rows. Ours
 * because the library's own Statement type cannot be named in emitted declarations.
 */
export interface Stmt<P, R = unknown> {
  run(params: P): { changes: number };
  get(params: P): R | undefined;
  all(params: P): R[];
}

/**
 * A statement bound by position: for the writes run once per delivery or schedule. Binding named
 * parameters costs better-sqlite3 a property lookup by name per parameter, about 1 us more per
 * statement than binding by position.
 */
export interface PositionalStmt<A extends unknown[], R = unknown> {
  run(...params: A): { changes: number };
  get(...params: A): R | undefined;
  all(...params: A): R[];
}

/** A query without parameters. */
export interface Query<R> {
  all(): R[];
}

/** A statement without parameters (transaction control). */
export interface Control {
  run(): unknown;
}

/** Key columns as named parameters, shared by most statements. */
export interface KeyParams {
  namespace: string;
  app_id: string;
  name: string;
}

/** A job row as the store builds it: uid as given (encoded when applied), progress as columns. */
export interface JobRowParams extends KeyParams {
  uid: string;
  def: string;
  progress: ProgressArgs;
}

/** The uid column as bound: 16 bytes for a UUID, else text (row-codec.ts uidColumn). */
export type UidColumn = string | Buffer;

/** A page of the due index: entries after the cursor (at, then the key) due at or before until. */
export interface DuePageParams extends KeyParams {
  at: number;
  until: number;
  limit: number;
}

/** One app's names from lower (inclusive) to upper (exclusive) or to the end of the app. */
interface RangeParams {
  namespace: string;
  app_id: string;
  lower: string;
}
type BoundedRangeParams = RangeParams & { upper: string };

/** A job row as a delete answers it: what the definition is decoded from, and whether it had history. */
export interface RemovedRow {
  uid: UidColumn;
  def: string;
  history_seq: number | null;
}

/** A job as read: key, uid, definition JSON and the progress columns. */
export interface JobColumns extends KeyParams, ProgressRow {
  uid: UidColumn;
  def: string;
}

const KEY = 'namespace = @namespace AND app_id = @app_id AND name = @name';
/** The key columns by position: namespace, app_id, name, in that order. */
const KEY_AT = 'namespace = ? AND app_id = ? AND name = ?';
/** A key's columns as positional parameters. */
export type KeyArgs = [namespace: string, appId: string, name: string];
const APP = 'namespace = @namespace AND app_id = @app_id';
const COLUMNS = `(namespace, app_id, name, uid, def, ${PROGRESS_COLUMNS})`;
const VALUES_AT = `(?, ?, ?, ?, ?, ${PROGRESS_COLUMNS.split(',').map(() => '?').join(', ')})`;
/** A job row as positional parameters, in COLUMNS order. */
export type RowArgs = [namespace: string, appId: string, name: string, uid: UidColumn, def: string, ...ProgressArgs];
/** The progress columns as assignments, in ProgressArgs order. */
const SET_PROGRESS = PROGRESS_COLUMNS.split(',').map((c) => `${c.trim()} = ?`).join(', ');
/** What every read of whole jobs selects. */
const READ = `namespace, app_id, name, uid, def, ${PROGRESS_READ_COLUMNS}`;

export function prepareStatements(db: Database) {
  const prepare = <P extends object, R = unknown>(sql: string): Stmt<P, R> => db.prepare<P, R>(sql);
  const positional = <A extends unknown[], R = unknown>(sql: string): PositionalStmt<A, R> => db.prepare<A, R>(sql);
  // A statement whose rows are a single column, returned as bare values.
  const pluck = <P extends object, R>(sql: string): Stmt<P, R> => db.prepare<P, R>(sql).pluck();
  const control = (sql: string): Control => db.prepare(sql);
  // A positional write whose RETURNING clause gives one column, read with get(): the value, or
  // undefined when no row was written.
  const returning = <A extends unknown[], R>(sql: string): PositionalStmt<A, R> => db.prepare<A, R>(sql).pluck();
  return {
    // Transaction control, run by the group commit.
    begin: control('BEGIN IMMEDIATE'),
    commit: control('COMMIT'),
    rollback: control('ROLLBACK'),
    savepoint: control('SAVEPOINT item'),
    release: control('RELEASE item'),
    rollbackTo: control('ROLLBACK TO item'),

    // The writes (write-ops.ts), by position.
    insertJob: positional<RowArgs>(`INSERT INTO jobs ${COLUMNS} VALUES ${VALUES_AT} ON CONFLICT DO NOTHING`),
    // The deletes answer the row's history_seq (schema version 6): undefined when no row was
    // deleted, null when the job had no history, so its history DELETE can be skipped.
    deleteJob: returning<KeyArgs, number | null>(`DELETE FROM jobs WHERE ${KEY_AT} RETURNING history_seq`),
    // The delete of a job the caller is answered about (a delete, or the row an overwrite
    // replaces, deleted before the new row goes in): it answers the uid and definition it took
    // out of the file, the store's answer (JobStore.create and delete). Not INSERT OR REPLACE,
    // which cannot answer the row it replaced: this DELETE and the INSERT are as many statements
    // as that and its history DELETE, which now runs only when the old row had history.
    deleteJobReturning: positional<KeyArgs, RemovedRow>(`DELETE FROM jobs WHERE ${KEY_AT} RETURNING uid, def, history_seq`),
    // A create over a tombstone (the name is free once a job finished): only a finished row goes.
    deleteFinishedReturning: positional<KeyArgs, RemovedRow>(`DELETE FROM jobs WHERE ${KEY_AT} AND finished_at IS NOT NULL RETURNING uid, def, history_seq`),
    // A progress commit, in two forms: to a live row (nearly always) and to a finished one, so the
    // one that changed a row tells whether the app's live count moves (schema version 7).
    // OR FAIL: the key picks at most one row and SQLite checks its constraints before writing it,
    // so a failure leaves nothing half done, as ABORT's undo would; ABORT made each of these
    // UPDATEs (which write the table and two indexes) keep a statement journal, a copy of every
    // page it touched: about 0.45 of 8.4 us per tombstone commit with its history entry (2026-12-06).
    updateLiveProgress: positional<[...ProgressArgs, ...KeyArgs, uid: UidColumn, expectedRev: number]>(
      `UPDATE OR FAIL jobs SET ${SET_PROGRESS} WHERE ${KEY_AT} AND uid = ? AND rev = ? AND finished_at IS NULL`,
    ),
    updateFinishedProgress: positional<[...ProgressArgs, ...KeyArgs, uid: UidColumn, expectedRev: number]>(
      `UPDATE OR FAIL jobs SET ${SET_PROGRESS} WHERE ${KEY_AT} AND uid = ? AND rev = ? AND finished_at IS NOT NULL`,
    ),
    // The same with a history entry to append: answers the entry's seq, undefined when refused.
    updateLiveProgressWithHistory: returning<[...ProgressArgs, ...KeyArgs, uid: UidColumn, expectedRev: number], number>(
      `UPDATE OR FAIL jobs SET ${SET_PROGRESS}, history_seq = coalesce(history_seq, 0) + 1 WHERE ${KEY_AT} AND uid = ? AND rev = ? AND finished_at IS NULL RETURNING history_seq`,
    ),
    updateFinishedProgressWithHistory: returning<[...ProgressArgs, ...KeyArgs, uid: UidColumn, expectedRev: number], number>(
      `UPDATE OR FAIL jobs SET ${SET_PROGRESS}, history_seq = coalesce(history_seq, 0) + 1 WHERE ${KEY_AT} AND uid = ? AND rev = ? AND finished_at IS NOT NULL RETURNING history_seq`,
    ),
    // The oldest tombstones, from the jobs_finished index, for the sweep.
    finishedBefore: positional<[finishedBefore: number, limit: number], KeyParams>(
      `SELECT namespace, app_id, name FROM jobs WHERE finished_at IS NOT NULL AND finished_at <= ? ORDER BY finished_at LIMIT ?`,
    ),
    deleteJobIf: returning<[...KeyArgs, uid: UidColumn, expectedRev: number], number | null>(
      `DELETE FROM jobs WHERE ${KEY_AT} AND uid = ? AND rev = ? RETURNING history_seq`,
    ),
    insertHistory: positional<[...KeyArgs, seq: number, entry: string]>('INSERT INTO history (namespace, app_id, name, seq, entry) VALUES (?, ?, ?, ?, ?)'),
    trimHistory: positional<[...KeyArgs, keepAfter: number]>(`DELETE FROM history WHERE ${KEY_AT} AND seq <= ?`),
    deleteHistory: positional<KeyArgs>(`DELETE FROM history WHERE ${KEY_AT}`),

    getJob: prepare<KeyParams, JobColumns>(`SELECT ${READ} FROM jobs WHERE ${KEY}`),

    deleteJobRange: prepare<BoundedRangeParams>(`DELETE FROM jobs WHERE ${APP} AND name >= @lower AND name < @upper`),
    deleteJobsFrom: prepare<RangeParams>(`DELETE FROM jobs WHERE ${APP} AND name >= @lower`),
    // The same, answering what each deleted (a caller that discards something with the jobs).
    deleteJobRangeReturning: prepare<BoundedRangeParams, RemovedRow & { name: string }>(
      `DELETE FROM jobs WHERE ${APP} AND name >= @lower AND name < @upper RETURNING name, uid, def, history_seq`,
    ),
    deleteJobsFromReturning: prepare<RangeParams, RemovedRow & { name: string }>(`DELETE FROM jobs WHERE ${APP} AND name >= @lower RETURNING name, uid, def, history_seq`),
    deleteHistoryRange: prepare<BoundedRangeParams>(`DELETE FROM history WHERE ${APP} AND name >= @lower AND name < @upper`),
    deleteHistoryFrom: prepare<RangeParams>(`DELETE FROM history WHERE ${APP} AND name >= @lower`),
    listRange: prepare<BoundedRangeParams & { limit: number }, JobColumns>(
      `SELECT ${READ} FROM jobs WHERE ${APP} AND name >= @lower AND name < @upper ORDER BY name LIMIT @limit`,
    ),
    listFrom: prepare<RangeParams & { limit: number }, JobColumns>(
      `SELECT ${READ} FROM jobs WHERE ${APP} AND name >= @lower ORDER BY name LIMIT @limit`,
    ),

    // The due index stores the key columns after due_at, so this ORDER BY needs no sort step
    // and ties come out in a stable order.
    dueBefore: prepare<{ until: number; limit: number }, JobColumns>(
      `SELECT ${READ} FROM jobs WHERE due_at IS NOT NULL AND due_at <= @until
       ORDER BY due_at, namespace, app_id, name LIMIT @limit`,
    ),
    // The same rows' keys only: read from the due index alone (it holds the key columns).
    dueKeysBefore: prepare<{ until: number; limit: number }, KeyParams>(
      `SELECT namespace, app_id, name FROM jobs WHERE due_at IS NOT NULL AND due_at <= @until
       ORDER BY due_at, namespace, app_id, name LIMIT @limit`,
    ),
    // One page of the same after a cursor (the last entry of the page before), for the refill,
    // which reads a page per turn of the event loop: a seek in the due index, then its entries.
    dueKeysAfter: prepare<DuePageParams, KeyParams & { due_at: number }>(
      `SELECT namespace, app_id, name, due_at FROM jobs WHERE due_at IS NOT NULL AND due_at <= @until
         AND (due_at, namespace, app_id, name) > (@at, @namespace, @app_id, @name)
       ORDER BY due_at, namespace, app_id, name LIMIT @limit`,
    ),
    dueRowsAfter: prepare<DuePageParams, JobColumns>(
      `SELECT ${READ} FROM jobs WHERE due_at IS NOT NULL AND due_at <= @until
         AND (due_at, namespace, app_id, name) > (@at, @namespace, @app_id, @name)
       ORDER BY due_at, namespace, app_id, name LIMIT @limit`,
    ),

    // One app's staged jobs in due order, from jobs_staged.
    stagedOfApp: prepare<{ namespace: string; app_id: string; limit: number }, JobColumns>(
      `SELECT ${READ} FROM jobs WHERE ${APP} AND staged_at IS NOT NULL
       ORDER BY staged_at, name LIMIT @limit`,
    ),
    // Staged counts are read in slices (the store yields between them), so a gauge over a million
    // staged jobs never holds the event loop for the whole index walk. The first two jump from one
    // app to the next in the jobs_staged index; the third counts one page of an app's
    // entries after a (staged_at, name) cursor and gives the page's last entry as the next cursor.
    // Two seeks rather than one (namespace, app_id) > (?, ?): SQLite walks every entry of the
    // current app to get past a row-value bound on a prefix (94 ms past 900,000 entries here).
    nextStagedAppInNamespace: prepare<{ namespace: string; app_id: string }, { namespace: string; app_id: string }>(
      `SELECT namespace, app_id FROM jobs INDEXED BY jobs_staged
       WHERE staged_at IS NOT NULL AND namespace = @namespace AND app_id > @app_id
       ORDER BY namespace, app_id LIMIT 1`,
    ),
    firstStagedAppAfterNamespace: prepare<{ namespace: string }, { namespace: string; app_id: string }>(
      `SELECT namespace, app_id FROM jobs INDEXED BY jobs_staged
       WHERE staged_at IS NOT NULL AND namespace > @namespace
       ORDER BY namespace, app_id LIMIT 1`,
    ),
    // app_jobs += change for one app, once per app per transaction (live-count-changes.ts, schema version 7).
    addLive: positional<[namespace: string, appId: string, live: number]>(
      'INSERT INTO app_jobs (namespace, app_id, live) VALUES (?, ?, ?) ON CONFLICT (namespace, app_id) DO UPDATE SET live = live + excluded.live',
    ),
    liveCount: pluck<{ namespace: string; app_id: string }, number>(`SELECT live FROM app_jobs WHERE ${APP}`),
    liveCounts: db.prepare(`SELECT namespace, app_id, live FROM app_jobs WHERE live > 0 ORDER BY namespace, app_id`) as Query<{ namespace: string; app_id: string; live: number }>,
    stagedCountPage: prepare<
      { namespace: string; app_id: string; after_at: number; after_name: string; limit: number },
      { count: number; staged_at: number; name: string }
    >(
      `WITH page AS MATERIALIZED (
         SELECT staged_at, name FROM jobs INDEXED BY jobs_staged
         WHERE namespace = @namespace AND app_id = @app_id AND staged_at IS NOT NULL
           AND (staged_at, name) > (@after_at, @after_name)
         ORDER BY staged_at, name LIMIT @limit)
       SELECT (SELECT count(*) FROM page) AS count, staged_at, name FROM page ORDER BY staged_at DESC, name DESC LIMIT 1`,
    ),

    history: pluck<KeyParams & { limit: number }, string>(`SELECT entry FROM history WHERE ${KEY} ORDER BY seq DESC LIMIT @limit`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
