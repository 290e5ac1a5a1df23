// Counts job rows straight from Duetime's SQLite file, opened read-only (paging GET /v1.0/jobs
// through 100k+ jobs would take longer than the run it checks). The file may belong to a
// process that was killed with SIGKILL: SQLite replays the WAL for the reader.

import Database from 'better-sqlite3';
import { join } from 'node:path';

/**
 * Live jobs (not tombstones of finished ones) whose name starts with prefix (all when prefix is
 * ''). A finished job's row stays for --tombstone-ttl with finished_at set (schema version 3).
 */
export function countJobs(dataDir: string, prefix = ''): number {
  const db = new Database(join(dataDir, 'duetime.db'), { readonly: true, fileMustExist: true });
  try {
    const hasTombstones = (db.prepare("SELECT count(*) AS n FROM pragma_table_info('jobs') WHERE name = 'finished_at'").get() as { n: number }).n > 0;
    // name is compared as a range, not with LIKE, whose _ and % would need escaping.
    const live = hasTombstones ? ' AND finished_at IS NULL' : '';
    const row = db.prepare(`SELECT count(*) AS n FROM jobs WHERE name >= ? AND name < ?${live}`).get(prefix, `${prefix}\u{10FFFF}`) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

/** Jobs of one app whose current trigger is staged (staged_at set, schema version 2). */
export function countStaged(dataDir: string, namespace: string, appId: string): number {
  const db = new Database(join(dataDir, 'duetime.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT count(*) AS n FROM jobs WHERE namespace = ? AND app_id = ? AND staged_at IS NOT NULL').get(namespace, appId) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}
