// A cheap answer to "could the store commit a write now?", for /readyz. A read alone cannot tell:
// in WAL mode reads go on while another connection holds the write lock, and a full disk fails
// only writes. So the probe, on a connection of its own, takes the write lock and lets it go
// (BEGIN IMMEDIATE; ROLLBACK: nothing written, no fsync) and checks the free space of the
// directory. With the in-thread group commit no transaction of the store spans a turn of the
// event loop, so a lock the probe cannot get is another process's. With the writer thread the
// lock may be the store's own, held for as long as a commit and its fsync take: then the probe
// leaves the lock alone (ownWriteInFlight) rather than wait up to busyTimeoutMs on the event loop
// and answer "not ready" for a commit of ours; that commit's own outcome tells whether writes
// go through (a lock held elsewhere makes it wait, and the readiness read waits for it).

import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export interface WriteProbeOptions {
  /** The store's database file. */
  path: string;
  /** How long the probe waits for the write lock; it blocks the event loop meanwhile. @defaultValue 100 */
  busyTimeoutMs?: number;
  /** Below this many free bytes in the directory the store counts as full. @defaultValue 1 MiB */
  minFreeBytes?: number;
  /** True while the store's own writer thread may hold the write lock (SqliteJobStore.writeInFlight). */
  ownWriteInFlight?: () => boolean;
}

export const WRITE_PROBE_DEFAULTS = { busyTimeoutMs: 100, minFreeBytes: 1024 * 1024 } as const;

export interface ProbeResult {
  ok: boolean;
  detail?: string;
}

export interface WriteProbe {
  check(): ProbeResult;
  close(): void;
}

export function sqliteWriteProbe(options: WriteProbeOptions): WriteProbe {
  const busyTimeoutMs = options.busyTimeoutMs ?? WRITE_PROBE_DEFAULTS.busyTimeoutMs;
  const minFreeBytes = options.minFreeBytes ?? WRITE_PROBE_DEFAULTS.minFreeBytes;
  let db: Database.Database | undefined;
  const open = (): Database.Database => {
    if (db?.open) return db;
    db = new Database(options.path, { fileMustExist: true });
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    return db;
  };
  return {
    check() {
      try {
        const conn = open();
        if (!options.ownWriteInFlight?.()) {
          conn.exec('BEGIN IMMEDIATE');
          conn.exec('ROLLBACK');
        }
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const reason = error instanceof Error ? error.message : String(error);
        // A connection that hit an I/O error may be unusable: the next check opens a new one.
        if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') closeQuietly(db);
        return { ok: false, detail: `cannot take the write lock of ${options.path}: ${typeof code === 'string' ? `${code}: ` : ''}${reason}` };
      }
      try {
        const fs = statfsSync(dirname(options.path));
        const free = fs.bavail * fs.bsize;
        if (free < minFreeBytes) return { ok: false, detail: `the disk of ${dirname(options.path)} is full (${free} bytes free)` };
      } catch (error) {
        return { ok: false, detail: `cannot read the free space of ${dirname(options.path)}: ${error instanceof Error ? error.message : String(error)}` };
      }
      return { ok: true };
    },
    close() {
      closeQuietly(db);
      db = undefined;
    },
  };
}

function closeQuietly(db: Database.Database | undefined): void {
  try {
    if (db?.open) db.close();
  } catch {
    // closing is best effort; the next check opens a new connection
  }
}
