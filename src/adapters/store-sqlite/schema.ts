// The SQLite file's layout and how it gets there. The schema version lives in the file header
// (PRAGMA user_version); each migration takes the file from version i to i + 1 in one
// transaction, so a later release appends a migration and older files catch up on open.

import type { Database } from 'better-sqlite3';

/**
 * Migrations in order: MIGRATIONS[i] takes a file from version i to i + 1.
 *
 * Version 1:
 * - jobs: one row per job, keyed (namespace, app_id, name), WITHOUT ROWID so rows are stored in
 *   key order and list/prefix queries are range scans. The definition and progress are JSON
 *   text; uid and rev are copied out so a progress commit is checked without parsing JSON, and
 *   due_at = progressDueAt(progress) (NULL when none) feeds the partial due index that
 *   dueBefore walks. The index carries the key columns too, which gives a stable order on ties.
 * - history: tick outcomes per job, keyed (namespace, app_id, name, seq) with seq counting up
 *   from 1 per job, trimmed to the newest historyLimit entries on every append.
 *
 * Version 2:
 * - jobs.staged_at: the due instant of a job whose current trigger is staged (its app had no
 *   consumer), NULL otherwise. A staged job has due_at NULL, so it leaves the due index and no
 *   refill reads it; the partial index jobs_staged lets a release read one app's staged jobs
 *   in due order, and counts per app come from it without touching the rows.
 * - apps: app registrations (endpoint URL, token, actor types) as JSON, keyed by namespace and
 *   app id, so they survive a restart.
 *
 * Version 3:
 * - jobs.finished_at: when a finished job (state completed or failed) finished, NULL for a live
 *   job. A finished row is a tombstone: due_at and staged_at are NULL, so no refill or release
 *   reads it; the partial index jobs_finished lets the sweep purge the oldest a page at a time.
 *
 * Version 4:
 * - app_jobs: live (unfinished) jobs per app, kept by triggers on jobs in the same transaction as
 *   every insert, delete and finish, so --max-jobs-per-app reads one row instead of counting an
 *   app's rows (which, in a WITHOUT ROWID table, means reading every one of them). Started from a
 *   count of the file's jobs. INSERT OR REPLACE deletes the row it replaces, which fires the delete
 *   trigger only with recursive_triggers on (applyPragmas sets it).
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE jobs (
    namespace TEXT NOT NULL,
    app_id    TEXT NOT NULL,
    name      TEXT NOT NULL,
    uid       TEXT NOT NULL,
    def       TEXT NOT NULL,
    rev       INTEGER NOT NULL,
    progress  TEXT NOT NULL,
    due_at    INTEGER,
    PRIMARY KEY (namespace, app_id, name)
  ) WITHOUT ROWID;
  CREATE INDEX jobs_due_at ON jobs (due_at) WHERE due_at IS NOT NULL;
  CREATE TABLE history (
    namespace TEXT NOT NULL,
    app_id    TEXT NOT NULL,
    name      TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    entry     TEXT NOT NULL,
    PRIMARY KEY (namespace, app_id, name, seq)
  ) WITHOUT ROWID;
  `,
  `
  ALTER TABLE jobs ADD COLUMN staged_at INTEGER;
  CREATE INDEX jobs_staged ON jobs (namespace, app_id, staged_at) WHERE staged_at IS NOT NULL;
  CREATE TABLE apps (
    namespace TEXT NOT NULL,
    app_id    TEXT NOT NULL,
    endpoint  TEXT NOT NULL,
    PRIMARY KEY (namespace, app_id)
  ) WITHOUT ROWID;
  `,
  `
  ALTER TABLE jobs ADD COLUMN finished_at INTEGER;
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  `,
  `
  CREATE TABLE app_jobs (
    namespace TEXT NOT NULL,
    app_id    TEXT NOT NULL,
    live      INTEGER NOT NULL,
    PRIMARY KEY (namespace, app_id)
  ) WITHOUT ROWID;
  INSERT INTO app_jobs (namespace, app_id, live)
    SELECT namespace, app_id, count(*) FROM jobs WHERE finished_at IS NULL GROUP BY namespace, app_id;
  CREATE TRIGGER app_jobs_insert AFTER INSERT ON jobs WHEN NEW.finished_at IS NULL BEGIN
    INSERT INTO app_jobs (namespace, app_id, live) VALUES (NEW.namespace, NEW.app_id, 1)
      ON CONFLICT (namespace, app_id) DO UPDATE SET live = live + 1;
  END;
  CREATE TRIGGER app_jobs_delete AFTER DELETE ON jobs WHEN OLD.finished_at IS NULL BEGIN
    UPDATE app_jobs SET live = live - 1 WHERE namespace = OLD.namespace AND app_id = OLD.app_id;
  END;
  CREATE TRIGGER app_jobs_finish AFTER UPDATE OF finished_at ON jobs
    WHEN (OLD.finished_at IS NULL) <> (NEW.finished_at IS NULL) BEGIN
    INSERT INTO app_jobs (namespace, app_id, live) VALUES (NEW.namespace, NEW.app_id, CASE WHEN NEW.finished_at IS NULL THEN 1 ELSE 0 END)
      ON CONFLICT (namespace, app_id) DO UPDATE SET live = live + CASE WHEN NEW.finished_at IS NULL THEN 1 ELSE -1 END;
  END;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the file to SCHEMA_VERSION; refuses a file written by a newer release. */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`schema version ${current} is newer than this release understands (${SCHEMA_VERSION})`);
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      // PRAGMA takes no bound parameters; version is our own integer.
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}

export interface PragmaOptions {
  busyTimeoutMs: number;
}

/**
 * WAL so readers never block the writer; synchronous = FULL so COMMIT returns only after the
 * WAL is fsync'd, which is what lets a write's promise mean "durable".
 */
export function applyPragmas(db: Database, options: PragmaOptions): void {
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
  if (mode.toLowerCase() !== 'wal') throw new Error(`cannot use WAL journal mode (got "${mode}")`);
  db.pragma('synchronous = FULL');
  // INSERT OR REPLACE then fires the delete trigger that keeps app_jobs (version 4) exact.
  db.pragma('recursive_triggers = ON');
}
