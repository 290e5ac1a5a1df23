// What the SQLite writer spends on one tombstone commit with its history entry (the guarded
// UPDATE ... RETURNING of a live row into a finished one, then the history INSERT), in batches of
// 300 per transaction as the engine's outcomes come, with the store's own schema (migrate) and
// statements, on a file under .tmp/ (the project's disk), synchronous = NORMAL as outcome
// commits run. Compares the statements as the store has them with the UPDATE run OR ABORT
// (SQLite's default, which keeps a statement journal for an UPDATE that writes a table and its
// indexes) and prints the process's CPU per commit, median of 7 alternating rounds.
//   npx tsx bench/progress-update-probe.ts
// Nothing is asserted.

import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { applyPragmas, migrate } from '../src/adapters/store-sqlite/schema.js';
import { prepareStatements } from '../src/adapters/store-sqlite/statements.js';
import { PROJECT_DIR } from './lib/duetime-server.js';

const JOBS = 20_000;
const BATCH = 300;
const T = 1_796_538_853_406;
const UID = Buffer.alloc(16, 7);
const ENTRY = '{"scheduledAt":1796538853406,"at":1796538853407,"attempt":1,"outcome":"success","manual":false}';

/** CPU µs per commit; `abort`: the UPDATE's OR FAIL replaced by SQLite's default. */
function round(abort: boolean): number {
  const parent = join(PROJECT_DIR, '.tmp');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'progress-update-probe-'));
  const db = new Database(join(dir, 'jobs.db'));
  try {
    migrate(db);
    applyPragmas(db, { busyTimeoutMs: 5_000 });
    db.pragma('synchronous = NORMAL');
    const sql = prepareStatements(db);
    db.exec('BEGIN');
    // The 19 columns insertJob binds: key, uid, def, then the 14 progress columns (a live job due at T).
    for (let i = 0; i < JOBS; i++) sql.insertJob.run('default', 'watch', `burst-${i}`, UID, '{}', 1, 0, 0, 0, null, T, T, null, null, null, null, T, null, null);
    db.exec('COMMIT');
    const source = (sql.updateLiveProgressWithHistory as unknown as { source: string }).source;
    const update = db.prepare(abort ? source.replace('UPDATE OR FAIL jobs', 'UPDATE jobs') : source).pluck();
    const before = process.cpuUsage();
    for (let from = 0; from < JOBS; from += BATCH) {
      db.exec('BEGIN');
      for (let i = from; i < Math.min(JOBS, from + BATCH); i++) {
        const seq = update.get(2, 2, 1, 1, T, T, null, null, null, null, null, null, null, T + 5, 'default', 'watch', `burst-${i}`, UID, 1) as number | undefined;
        if (seq === undefined) throw new Error(`burst-${i} was not updated`);
        sql.insertHistory.run('default', 'watch', `burst-${i}`, seq, ENTRY);
      }
      db.exec('COMMIT');
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / JOBS;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]): string => [...values].sort((a, b) => a - b)[values.length >> 1]!.toFixed(2);
const asIs: number[] = [];
const orAbort: number[] = [];
for (let r = 0; r < 7; r++) {
  asIs.push(round(false));
  orAbort.push(round(true));
}
console.log(`µs of CPU per tombstone commit with its history entry, median of 7: as the store runs it (OR FAIL) ${median(asIs)}, OR ABORT ${median(orAbort)}`);
