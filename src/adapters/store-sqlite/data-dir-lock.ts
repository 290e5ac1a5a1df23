// One writer per data directory. Two servers on one SQLite store would both fire every job (each
// holds its own heap of what is due), so the embedded store takes an exclusive lock on its
// directory first and a second server is refused at once.
//
// The lock is an fcntl lock held through SQLite: a small database, duetime.lock, opened with
// `locking_mode = EXCLUSIVE` and written once, which makes SQLite take the file's exclusive lock
// and keep it until the connection closes. The OS drops fcntl locks when the process dies, so a
// `kill -9` leaves no stale lock behind; SQLite also sees the lock between connections of one
// process (and its worker threads), which plain fcntl does not. Nothing else of this process may
// open duetime.lock: closing any descriptor of the file would drop the process's fcntl locks.
//
// A locked database cannot be read, so the holder also writes duetime.pid (pid, host, start
// time) for the refusal message. That file is only a hint: the lock alone decides.

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'duetime.lock';
export const PID_FILE = 'duetime.pid';

/** Who holds a data directory, as its pid file says. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

/** Another process (or another server in this one) holds the data directory. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | undefined,
  ) {
    const who = holder ? `Duetime pid ${holder.pid} on ${holder.host} (since ${holder.since})` : 'another Duetime (its pid file is missing or unreadable)';
    super(`cannot start: the data directory ${dir} is in use by ${who}; stop that server, or give this one another --data-dir (DUETIME_DATA_DIR)`);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly dir: string;
  /** Lets the directory go: removes the pid file, then closes the lock (idempotent). */
  release(): void;
}

/**
 * Takes the directory's lock without waiting, or throws DataDirLockedError naming the holder.
 * The directory must exist.
 */
export function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE);
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma('busy_timeout = 0'); // a held lock is an answer, not something to wait for
    db.pragma('synchronous = OFF'); // nothing in it needs to survive a crash
    db.pragma('locking_mode = EXCLUSIVE');
    // The write takes the exclusive lock; with locking_mode EXCLUSIVE it is kept after COMMIT.
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, since TEXT NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?, ?)').run(process.pid, new Date().toISOString());
    db.exec('COMMIT');
  } catch (error) {
    db?.close();
    if (isBusy(error)) throw new DataDirLockedError(dir, readHolder(dir));
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot lock the data directory ${dir} (${path}): ${reason}`, { cause: error });
  }
  const holder: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const pidPath = join(dir, PID_FILE);
  const tmp = `${pidPath}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(holder)}\n`);
  renameSync(tmp, pidPath);
  const lock = db;
  let released = false;
  return {
    dir,
    release() {
      if (released) return;
      released = true;
      // The pid file goes first, while the lock still keeps any successor from writing its own.
      rmSync(pidPath, { force: true });
      lock.close();
    },
  };
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function readHolder(dir: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, PID_FILE), 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, host: String(parsed.host ?? 'this host'), since: String(parsed.since ?? 'an unknown time') };
  } catch {
    return undefined;
  }
}
