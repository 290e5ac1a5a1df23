// Every statement the store runs, prepared once when the store opens. Reads return the JSON
// columns untouched; parsing happens in the store.

import type { Database } from 'better-sqlite3';

/**
 * The part of a better-sqlite3 statement the store uses, typed by its parameters and rows. Ours
 * because the library's own Statement type cannot be named in emitted declarations.
 */
export interface Stmt<P, R = unknown> {
  run(params: P): { changes: number };
  get(params: P): R | undefined;
  all(params: P): R[];
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

export interface JobRowParams extends KeyParams {
  uid: string;
  def: string;
  rev: number;
  progress: string;
  due_at: number | null;
}

interface GuardParams extends KeyParams {
  uid: string;
  expected_rev: number;
}

/** One app's names from lower (inclusive) to upper (exclusive) or to the end of the app. */
interface RangeParams {
  namespace: string;
  app_id: string;
  lower: string;
}
type BoundedRangeParams = RangeParams & { upper: string };

export interface JobColumns {
  def: string;
  progress: string;
}

const KEY = 'namespace = @namespace AND app_id = @app_id AND name = @name';
const APP = 'namespace = @namespace AND app_id = @app_id';
const COLUMNS = '(namespace, app_id, name, uid, def, rev, progress, due_at)';
const VALUES = '(@namespace, @app_id, @name, @uid, @def, @rev, @progress, @due_at)';

export function prepareStatements(db: Database) {
  const prepare = <P extends object, R = unknown>(sql: string): Stmt<P, R> => db.prepare<P, R>(sql);
  // A statement whose rows are a single column, returned as bare values.
  const pluck = <P extends object, R>(sql: string): Stmt<P, R> => db.prepare<P, R>(sql).pluck();
  const control = (sql: string): Control => db.prepare(sql);
  return {
    // Transaction control, run by the group commit.
    begin: control('BEGIN IMMEDIATE'),
    commit: control('COMMIT'),
    rollback: control('ROLLBACK'),
    savepoint: control('SAVEPOINT item'),
    release: control('RELEASE item'),
    rollbackTo: control('ROLLBACK TO item'),

    insertJob: prepare<JobRowParams>(`INSERT INTO jobs ${COLUMNS} VALUES ${VALUES} ON CONFLICT DO NOTHING`),
    replaceJob: prepare<JobRowParams>(`INSERT OR REPLACE INTO jobs ${COLUMNS} VALUES ${VALUES}`),
    getJob: prepare<KeyParams, JobColumns>(`SELECT def, progress FROM jobs WHERE ${KEY}`),
    deleteJob: prepare<KeyParams>(`DELETE FROM jobs WHERE ${KEY}`),
    updateProgress: prepare<GuardParams & { rev: number; progress: string; due_at: number | null }>(
      `UPDATE jobs SET rev = @rev, progress = @progress, due_at = @due_at
       WHERE ${KEY} AND uid = @uid AND rev = @expected_rev`,
    ),
    deleteJobIf: prepare<GuardParams>(`DELETE FROM jobs WHERE ${KEY} AND uid = @uid AND rev = @expected_rev`),

    deleteJobRange: prepare<BoundedRangeParams>(`DELETE FROM jobs WHERE ${APP} AND name >= @lower AND name < @upper`),
    deleteJobsFrom: prepare<RangeParams>(`DELETE FROM jobs WHERE ${APP} AND name >= @lower`),
    deleteHistoryRange: prepare<BoundedRangeParams>(`DELETE FROM history WHERE ${APP} AND name >= @lower AND name < @upper`),
    deleteHistoryFrom: prepare<RangeParams>(`DELETE FROM history WHERE ${APP} AND name >= @lower`),
    listRange: prepare<BoundedRangeParams & { limit: number }, JobColumns & { name: string }>(
      `SELECT name, def, progress FROM jobs WHERE ${APP} AND name >= @lower AND name < @upper ORDER BY name LIMIT @limit`,
    ),
    listFrom: prepare<RangeParams & { limit: number }, JobColumns & { name: string }>(
      `SELECT name, def, progress FROM jobs WHERE ${APP} AND name >= @lower ORDER BY name LIMIT @limit`,
    ),

    // The due index stores the key columns after due_at, so this ORDER BY needs no sort step
    // and ties come out in a stable order.
    dueBefore: prepare<{ until: number; limit: number }, JobColumns>(
      `SELECT def, progress FROM jobs WHERE due_at IS NOT NULL AND due_at <= @until
       ORDER BY due_at, namespace, app_id, name LIMIT @limit`,
    ),
    // The same rows' keys only: read from the due index alone (it holds the key columns).
    dueKeysBefore: prepare<{ until: number; limit: number }, KeyParams>(
      `SELECT namespace, app_id, name FROM jobs WHERE due_at IS NOT NULL AND due_at <= @until
       ORDER BY due_at, namespace, app_id, name LIMIT @limit`,
    ),

    lastHistorySeq: pluck<KeyParams, number | null>(`SELECT max(seq) FROM history WHERE ${KEY}`),
    insertHistory: prepare<KeyParams & { seq: number; entry: string }>(
      'INSERT INTO history (namespace, app_id, name, seq, entry) VALUES (@namespace, @app_id, @name, @seq, @entry)',
    ),
    trimHistory: prepare<KeyParams & { keep_after: number }>(`DELETE FROM history WHERE ${KEY} AND seq <= @keep_after`),
    deleteHistory: prepare<KeyParams>(`DELETE FROM history WHERE ${KEY}`),
    history: pluck<KeyParams & { limit: number }, string>(`SELECT entry FROM history WHERE ${KEY} ORDER BY seq DESC LIMIT @limit`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
