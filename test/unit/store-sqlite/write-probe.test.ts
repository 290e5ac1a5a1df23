// The /readyz write probe next to the writer thread: while the store's own thread commits, the
// write lock is the store's, so the probe must neither wait for it on the event loop nor report
// the store unwritable; a lock held while the store writes nothing is another process's and
// still makes the probe fail. Real SQLite files and a real writer thread.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../../src/adapters/store-sqlite/sqlite-job-store.js';
import { sqliteWriteProbe } from '../../../src/adapters/store-sqlite/write-probe.js';
import { key, minimalRecord } from '../../conformance/job-store.suite.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function openStore(writerThread: boolean): { store: SqliteJobStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-write-probe-'));
  const path = join(dir, 'jobs.db');
  const store = new SqliteJobStore({ path, writerThread });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
  return { store, path };
}

/** Another connection holding the write lock, as a commit in progress does. */
function holdWriteLock(path: string): void {
  const holder = new Database(path);
  holder.exec('BEGIN IMMEDIATE');
  cleanups.push(() => {
    holder.exec('ROLLBACK');
    holder.close();
  });
}

describe('sqliteWriteProbe', () => {
  it('fails when the lock is held and the store has no write of its own in flight', () => {
    const { path } = openStore(false);
    const probe = sqliteWriteProbe({ path, busyTimeoutMs: 20, ownWriteInFlight: () => false });
    cleanups.push(() => probe.close());
    holdWriteLock(path);
    const result = probe.check();
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/SQLITE_BUSY/);
  });

  it("leaves the lock alone while the store's own writer commits: ready at once, not after the busy timeout", () => {
    const { path } = openStore(false);
    const probe = sqliteWriteProbe({ path, busyTimeoutMs: 2_000, ownWriteInFlight: () => true });
    cleanups.push(() => probe.close());
    holdWriteLock(path);
    const began = performance.now();
    expect(probe.check()).toEqual({ ok: true });
    // Waiting for the lock would take the whole 2 s busy timeout.
    expect(performance.now() - began).toBeLessThan(1_000);
  });
});

describe('SqliteJobStore.writeInFlight', () => {
  it('is true while a batch is on the writer thread and false once it settled', async () => {
    const { store } = openStore(true);
    expect(store.writeInFlight).toBe(false);
    const written = store.create(minimalRecord(key('a')), { overwrite: false });
    // Posted to the worker on the next macrotask.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(store.writeInFlight).toBe(true);
    await written;
    expect(store.writeInFlight).toBe(false);
  });

  it('is always false with the in-thread group commit, whose transactions end within a turn', async () => {
    const { store } = openStore(false);
    const written = store.create(minimalRecord(key('a')), { overwrite: false });
    expect(store.writeInFlight).toBe(false);
    await written;
    expect(store.writeInFlight).toBe(false);
  });
});
