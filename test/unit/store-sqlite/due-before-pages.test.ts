// dueBefore with `held` (the engine's refill) reads the due index a page per turn of the event
// loop, so a refill over 50,000 due jobs never holds timers and sockets for the whole read
// (issue 12). Pages of 2 here: ties on the due instant across a page boundary, the limit ending
// inside a page, pages mostly held (lookups) and mostly not (row scans), on a real SQLite file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../../src/adapters/store-sqlite/sqlite-job-store.js';
import type { JobKey } from '../../../src/core/model/job.js';
import { key, minimalRecord } from '../../conformance/job-store.suite.js';

const dirs: string[] = [];
const stores: SqliteJobStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function storeWith(dues: Array<[name: string, at: number]>): Promise<SqliteJobStore> {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-due-pages-'));
  dirs.push(dir);
  const store = new SqliteJobStore({ path: join(dir, 'jobs.db'), dueBeforePage: 2 });
  stores.push(store);
  for (const [name, at] of dues) await store.create(minimalRecord(key(name), { nextAt: at, tickAt: at }), { overwrite: false });
  return store;
}

// Due order, ties broken by name: a@100 b@200 c@200 d@200 e@300 f@400, and g beyond `until`.
const DUES: Array<[string, number]> = [['e', 300], ['c', 200], ['a', 100], ['g', 900], ['d', 200], ['b', 200], ['f', 400]];
const names = (records: Array<{ def: { key: JobKey } }>): string[] => records.map((r) => r.def.key.name);

describe('SqliteJobStore.dueBefore in pages', () => {
  it('returns what one read would, in due order, across pages and ties', async () => {
    const store = await storeWith(DUES);
    expect(names(await store.dueBefore(500, 100, () => false))).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(names(await store.dueBefore(500, 100))).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('counts held jobs toward the limit, and ends inside a page', async () => {
    const store = await storeWith(DUES);
    const held = new Set(['b', 'd']);
    // The first five due are a..e; b and d are held: a, c, e.
    expect(names(await store.dueBefore(500, 5, (k) => held.has(k.name)))).toEqual(['a', 'c', 'e']);
    expect(names(await store.dueBefore(500, 3, (k) => held.has(k.name)))).toEqual(['a', 'c']);
  });

  it('reads by lookup where most of a page is held, and leaves out all that is', async () => {
    const store = await storeWith(DUES);
    const held = new Set(['a', 'b', 'c', 'd', 'f']);
    expect(names(await store.dueBefore(500, 100, (k) => held.has(k.name)))).toEqual(['e']);
    expect(await store.dueBefore(500, 100, () => true)).toEqual([]);
  });

  it('yields the event loop between pages: a timer set before the read runs before it answers', async () => {
    const store = await storeWith(DUES);
    let ranAt: 'before' | 'after' | undefined;
    let answered = false;
    setImmediate(() => (ranAt = answered ? 'after' : 'before'));
    const read = store.dueBefore(500, 100, () => false).then((r) => {
      answered = true;
      return r;
    });
    expect(names(await read)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(ranAt).toBe('before');
  });
});

describe('SqliteJobStore.dueBetween in pages', () => {
  it('starts at the first job due at `from` and tells where the next read starts', async () => {
    const store = await storeWith(DUES);
    expect(await store.dueBetween(200, 500, 100, () => false).then((r) => ({ names: names(r.records), next: r.next }))).toEqual({ names: ['b', 'c', 'd', 'e', 'f'], next: 500 });
    expect(await store.dueBetween(201, 350, 100, () => false).then((r) => ({ names: names(r.records), next: r.next }))).toEqual({ names: ['e'], next: 350 });
  });

  it('cut short by the limit inside a tie, the next read starts at that instant again and misses nothing', async () => {
    const store = await storeWith(DUES);
    const held = new Set(['a', 'b']);
    // a b c: the limit ends between c and d, both due at 200.
    const first = await store.dueBetween(0, 500, 3, (k) => held.has(k.name));
    expect({ names: names(first.records), next: first.next }).toEqual({ names: ['c'], next: 200 });
    for (const r of first.records) held.add(r.def.key.name);
    const second = await store.dueBetween(first.next, 500, 4, (k) => held.has(k.name));
    expect({ names: names(second.records), next: second.next }).toEqual({ names: ['d', 'e'], next: 300 });
  });
});
