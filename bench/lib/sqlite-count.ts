// Counts job rows straight from Duetime's SQLite file, opened read-only (paging GET /v1.0/jobs
// through 100k+ jobs would take longer than the run it checks). The file may belong to a
// process that was killed with SIGKILL: SQLite replays the WAL for the reader.

import Database from 'better-sqlite3';
import { join } from 'node:path';

/** Rows of the jobs table whose name starts with prefix (all rows when prefix is ''). */
export function countJobs(dataDir: string, prefix = ''): number {
  const db = new Database(join(dataDir, 'duetime.db'), { readonly: true, fileMustExist: true });
  try {
    // name is compared as a range, not with LIKE, whose _ and % would need escaping.
    const row = db.prepare('SELECT count(*) AS n FROM jobs WHERE name >= ? AND name < ?').get(prefix, `${prefix}\u{10FFFF}`) as { n: number };
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
