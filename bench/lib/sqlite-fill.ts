// Fills a Duetime data dir's SQLite file with `count` jobs, fast, in exactly the rows the server
// writes: each job is made by the same code as POST /v1.0/jobs/{name} (parseJobRequest with the
// bench's body, a random UUID, initialProgress) and inserted by the store's own statements and
// write function (prepareStatements + applyWriteOp, the 'create' write of SqliteJobStore.create),
// on a connection with the store's schema. What differs from the server is how the writes reach
// the disk, not what the file holds: 50,000 creates per transaction instead of a group commit per
// event-loop turn, and a rollback journal in memory with no fsync instead of the WAL with an
// fsync per commit (a crash during the fill leaves a broken file, which a bench can afford; the
// WAL would write every page twice). The server switches the file back to WAL when it opens it.
// Going through HTTP would take hours for 10 million jobs on two cores.
//
// The jobs are one-shots of app "app" named <prefix><zero-padded index>, due in order across
// `spreadMs` from `firstDueAt`, so none enters the server's look-ahead window during the bench.

import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { SqliteJobStore } from '../../src/adapters/store-sqlite/index.js';
import { encodeDefinition, progressArgs } from '../../src/adapters/store-sqlite/row-codec.js';
import { prepareStatements } from '../../src/adapters/store-sqlite/statements.js';
import { LiveCountChanges } from '../../src/adapters/store-sqlite/live-count-changes.js';
import { applyWriteOp } from '../../src/adapters/store-sqlite/write-ops.js';
import { initialProgress } from '../../src/core/engine/progression.js';
import { parseJobRequest } from '../../src/core/model/job-request.js';

export interface FillOptions {
  path: string;
  count: number;
  prefix: string;
  firstDueAt: number;
  spreadMs: number;
  /** Called after every million jobs. */
  progress?: (done: number) => void;
}

const PER_TRANSACTION = 50_000;

export async function fillJobs(options: FillOptions): Promise<{ durationMs: number; perS: number }> {
  // The store creates the file and brings it to today's schema, as the server would on start.
  await new SqliteJobStore({ path: options.path }).close();
  const db = new Database(options.path);
  const started = Date.now();
  try {
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    // As the server's connections: the app_jobs delete trigger also counts a replaced row's delete.
    db.pragma('recursive_triggers = ON');
    // Room for the B-trees' inner pages and the pages being appended to (the default is 16 MB).
    db.pragma('cache_size = -262144');
    const sql = prepareStatements(db);
    const live = new LiveCountChanges();
    const width = String(options.count).length;
    const step = options.spreadMs / options.count;
    const key = { namespace: 'default', appId: 'app', name: '' };
    for (let from = 0; from < options.count; from += PER_TRANSACTION) {
      const to = Math.min(options.count, from + PER_TRANSACTION);
      db.transaction(() => {
        for (let i = from; i < to; i++) {
          key.name = `${options.prefix}${String(i).padStart(width, '0')}`;
          const dueTime = new Date(options.firstDueAt + Math.floor(i * step)).toISOString();
          const { def } = parseJobRequest({ ...key }, { dueTime, data: { n: 1 } }, started, randomUUID());
          const row = { namespace: key.namespace, app_id: key.appId, name: key.name, uid: def.uid, def: encodeDefinition(def), progress: progressArgs(initialProgress(def, undefined)) };
          applyWriteOp(sql, 20, { kind: 'create', row, overwrite: false }, live);
        }
        // The transaction's creates into app_jobs, as the store does before each COMMIT.
        live.apply(sql.addLive);
      }).immediate();
      if (Math.floor(to / 1_000_000) > Math.floor(from / 1_000_000)) options.progress?.(to);
      // Lets the stage's time limit and signals be heard between transactions.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    db.close();
  }
  const durationMs = Date.now() - started;
  return { durationMs, perS: Math.round((options.count / durationMs) * 1000) };
}

export interface DiskUse {
  /** The database file and its WAL, bytes. */
  fileBytes: number;
  walBytes: number;
  /** Pages of each table and index (SQLite's dbstat), bytes; free pages under "(free)". */
  byObject: Record<string, number>;
}

/** Sizes from the file itself, opened read-only (the server is not running). */
export function diskUse(path: string, fileBytes: number, walBytes: number): DiskUse {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const byObject: Record<string, number> = {};
    for (const row of db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY name').all() as { name: string; bytes: number }[]) {
      byObject[row.name] = row.bytes;
    }
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    byObject['(free)'] = (db.pragma('freelist_count', { simple: true }) as number) * pageSize;
    return { fileBytes, walBytes, byObject };
  } finally {
    db.close();
  }
}
