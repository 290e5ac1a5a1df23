// The SQLite file's layout and how it gets there. The schema version lives in the file header
// (PRAGMA user_version); each migration takes the file from version i to i + 1 in one
// transaction, so a later release appends a migration and older files catch up on open.

import type { Database } from 'better-sqlite3';
import { compactLegacyDefinition, uidColumn } from './row-codec.js';

/** The triggers that keep app_jobs (version 4), made again on the table version 5 rebuilds; version 7 changes them. */
const APP_JOBS_TRIGGERS = `
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
`;

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
 *
 * Version 5: the compact row (row-codec.ts), about half the bytes per job of version 4.
 * - jobs.def holds the definition without its key and uid (columns already) and without fields
 *   that hold their defaults; jobs.uid is 16 bytes for a UUID; the progress JSON is replaced by
 *   columns (state as 0..3, counters, instants, staged as NULL/0/1), and a tombstone's finishedAt
 *   is finished_at. The table is rebuilt (SQLite cannot drop a column a trigger or index names
 *   cheaply, and the rows must be rewritten anyway), in key order, which also leaves its pages
 *   full. Indexes and triggers are those of versions 1 to 4, made again on the new table.
 * - jobs_staged_in_namespace: a namespace's staged jobs in due order (a stream consumer connecting
 *   releases the whole namespace). Without it SQLite read every job of the namespace through the
 *   primary key and sorted the staged ones: seconds at 10 million jobs. Partial, so like
 *   jobs_staged it costs bytes only for staged jobs.
 *
 * Version 6:
 * - jobs.history_seq: the seq of the job's newest history entry, NULL while it has none. A
 *   finished one-shot job (the common delete) never wrote history, and its row now says so: the
 *   delete skips the history DELETE, which cost about 1.4 us per finished job even on an empty
 *   history table (2026-12-04). An append takes its seq from here instead of a max(seq) read.
 *   Every write of a row that had history sets it (an append) or deletes the history with it (a
 *   replace, a delete); a new row starts NULL. Started from the file's history; history rows
 *   of no job (which no release leaves behind) are deleted, so a NULL is always exact.
 *
 * Version 7: app_jobs_insert and app_jobs_finish are gone. The store adds each transaction's
 *   changes to the live counts (creates and revives +1, finishes -1) to app_jobs once per app just
 *   before COMMIT (live-count-changes.ts): the triggers ran an UPSERT per schedule and per finished
 *   job and made every INSERT and progress UPDATE keep a statement journal. app_jobs_delete stays
 *   (deleteByPrefix and INSERT OR REPLACE delete many or unseen rows) as an UPSERT of -1, since a
 *   job created and deleted in one transaction is now subtracted before it is added (the app may
 *   have no app_jobs row yet). Counts are unchanged by the migration.
 *
 * Version 8: jobs_staged_in_namespace is gone. A stream consumer's connect now releases its
 *   namespace one app at a time (from the staged counts, through jobs_staged), so nothing read
 *   it, and every staged job's write still kept it.
 */
const MIGRATIONS: readonly (string | ((db: Database) => void))[] = [
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
  ${APP_JOBS_TRIGGERS}
  `,
  compactRows,
  `
  ALTER TABLE jobs ADD COLUMN history_seq INTEGER;
  DELETE FROM history WHERE NOT EXISTS (
    SELECT 1 FROM jobs WHERE jobs.namespace = history.namespace AND jobs.app_id = history.app_id AND jobs.name = history.name);
  UPDATE jobs SET history_seq = last.seq
    FROM (SELECT namespace, app_id, name, max(seq) AS seq FROM history GROUP BY namespace, app_id, name) AS last
    WHERE jobs.namespace = last.namespace AND jobs.app_id = last.app_id AND jobs.name = last.name;
  `,
  `
  DROP TRIGGER app_jobs_insert;
  DROP TRIGGER app_jobs_finish;
  DROP TRIGGER app_jobs_delete;
  CREATE TRIGGER app_jobs_delete AFTER DELETE ON jobs WHEN OLD.finished_at IS NULL BEGIN
    INSERT INTO app_jobs (namespace, app_id, live) VALUES (OLD.namespace, OLD.app_id, -1)
      ON CONFLICT (namespace, app_id) DO UPDATE SET live = live - 1;
  END;
  `,
  `
  DROP INDEX jobs_staged_in_namespace;
  `,
];

/** Version 4 to 5: every row rewritten in the compact layout, in one statement (see above). */
function compactRows(db: Database): void {
  // The definition and uid are re-encoded by the same code the store writes with.
  db.function('duetime_v5_def', { deterministic: true }, (def: unknown) => compactLegacyDefinition(String(def)));
  db.function('duetime_v5_uid', { deterministic: true }, (uid: unknown) => uidColumn(String(uid)));
  db.exec(`
  CREATE TABLE jobs_v5 (
    namespace       TEXT NOT NULL,
    app_id          TEXT NOT NULL,
    name            TEXT NOT NULL,
    uid             BLOB NOT NULL,
    def             TEXT NOT NULL,
    rev             INTEGER NOT NULL,
    state           INTEGER NOT NULL,
    count           INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    last_trigger    INTEGER,
    tick_at         INTEGER,
    next_at         INTEGER,
    manual_at       INTEGER,
    manual_attempts INTEGER,
    manual_next_at  INTEGER,
    staged          INTEGER,
    due_at          INTEGER,
    staged_at       INTEGER,
    finished_at     INTEGER,
    PRIMARY KEY (namespace, app_id, name)
  ) WITHOUT ROWID;
  INSERT INTO jobs_v5
    SELECT namespace, app_id, name, duetime_v5_uid(uid), duetime_v5_def(def), rev,
      CASE json_extract(progress, '$.state') WHEN 'active' THEN 0 WHEN 'paused' THEN 1 WHEN 'completed' THEN 2 WHEN 'failed' THEN 3 END,
      json_extract(progress, '$.count'), json_extract(progress, '$.attempts'), json_extract(progress, '$.lastTrigger'),
      json_extract(progress, '$.tickAt'), json_extract(progress, '$.nextAt'), json_extract(progress, '$.manualAt'),
      json_extract(progress, '$.manualAttempts'), json_extract(progress, '$.manualNextAt'), json_extract(progress, '$.staged'),
      due_at, staged_at, finished_at
    FROM jobs ORDER BY namespace, app_id, name;
  DROP TRIGGER app_jobs_insert;
  DROP TRIGGER app_jobs_delete;
  DROP TRIGGER app_jobs_finish;
  DROP TABLE jobs;
  ALTER TABLE jobs_v5 RENAME TO jobs;
  CREATE INDEX jobs_due_at ON jobs (due_at) WHERE due_at IS NOT NULL;
  CREATE INDEX jobs_staged ON jobs (namespace, app_id, staged_at) WHERE staged_at IS NOT NULL;
  CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
  CREATE INDEX jobs_staged_in_namespace ON jobs (namespace, staged_at) WHERE staged_at IS NOT NULL;
  ${APP_JOBS_TRIGGERS}
  `);
}

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file to SCHEMA_VERSION (or to `upTo`, which tests use to build a file of an older
 * version); refuses a file written by a newer release.
 */
export function migrate(db: Database, upTo = SCHEMA_VERSION): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`schema version ${current} is newer than this release understands (${SCHEMA_VERSION})`);
  }
  for (let version = current; version < Math.min(upTo, SCHEMA_VERSION); version++) {
    db.transaction(() => {
      const step = MIGRATIONS[version];
      if (typeof step === 'function') step(db);
      else db.exec(step as string);
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
  // A REPLACE conflict resolution then fires the delete trigger that keeps app_jobs (version 4)
  // exact. The store's overwrites no longer use one (they DELETE the old row to answer it,
  // write-ops.ts); kept on so that a statement that does cannot skew the counts.
  db.pragma('recursive_triggers = ON');
}
