// stagedCounts walks the staged index in pages and yields between them, so /metrics over a
// million staged jobs never holds the event loop for the whole walk. Pages of 2 here: ties on the
// staged instant, several apps and namespaces, and pages that end exactly at an app's last entry.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../../src/adapters/store-sqlite/sqlite-job-store.js';
import { key, minimalRecord } from '../../conformance/job-store.suite.js';

const dirs: string[] = [];
const stores: SqliteJobStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(stagedCountPage: number): SqliteJobStore {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-staged-counts-'));
  dirs.push(dir);
  const store = new SqliteJobStore({ path: join(dir, 'jobs.db'), stagedCountPage });
  stores.push(store);
  return store;
}

async function stage(store: SqliteJobStore, name: string, appId: string, at: number, namespace = 'default'): Promise<void> {
  await store.create(minimalRecord(key(name, appId, namespace), { nextAt: at, tickAt: at, staged: true }), { overwrite: false });
}

describe('SQLite staged counts in pages', () => {
  it('counts every app across pages, ties included, and yields between pages', async () => {
    const store = open(2);
    for (let i = 0; i < 5; i++) await stage(store, `tie-${i}`, 'a', 1_000); // 5 entries on one instant: pages 2, 2, 1
    for (let i = 0; i < 4; i++) await stage(store, `b-${i}`, 'b', 1_000 + i); // a page ends on the app's last entry
    await stage(store, 'c-0', 'a', 500, 'other');
    await store.create(minimalRecord(key('live', 'a'), { nextAt: 2_000, tickAt: 2_000 }), { overwrite: false });

    let turns = 0;
    let counting = true;
    const spin = (): void => {
      turns++;
      if (counting) setImmediate(spin);
    };
    setImmediate(spin);
    const counts = await store.stagedCounts();
    counting = false;

    expect(counts).toEqual([
      { namespace: 'default', appId: 'a', count: 5 },
      { namespace: 'default', appId: 'b', count: 4 },
      { namespace: 'other', appId: 'a', count: 1 },
    ]);
    expect(turns).toBeGreaterThanOrEqual(6); // at least one event-loop turn per page
  });

  it('gives the same counts with one page per app', async () => {
    const store = open(20_000);
    for (let i = 0; i < 30; i++) await stage(store, `j-${i}`, i % 2 ? 'odd' : 'even', 1_000 + (i % 3));
    expect(await store.stagedCounts()).toEqual([
      { namespace: 'default', appId: 'even', count: 15 },
      { namespace: 'default', appId: 'odd', count: 15 },
    ]);
  });
});
