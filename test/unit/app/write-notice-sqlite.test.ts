// The API layer's writes of one name reach the engine in the order the store applied them, on the real
// SQLite store as served (writer thread): a delete by prefix and a create of a matching name
// issued in the same turn are committed in one batch and answered together, and the delete's
// answer reaches JobsService through more promise turns than the create's. Before the store told
// the engine of each write itself (WriteNotice), the delete's late notice dropped the new job
// from memory and only the next whole refill found it: due at 1 s, it fired at 5 s.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import { SqliteJobStore } from '../../../src/adapters/store-sqlite/sqlite-job-store.js';
import { makeHarness, T0 } from '../engine/harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sqliteHarness() {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-write-notice-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteJobStore({ path: join(dir, 'jobs.db'), writerThread: true });
  cleanups.push(() => store.close());
  // The harness is typed for the memory store; its engine and service use only the JobStore port.
  const h = await makeHarness({}, store as unknown as MemoryJobStore);
  cleanups.push(() => h.stop());
  return { ...h, store };
}

describe('SQLite store: a delete by prefix and a create issued in the same turn', () => {
  it('the job created after the delete fires at its time', async () => {
    const h = await sqliteHarness();
    await h.schedule('p-old', { schedule: '@every 10s', data: 'old' });
    const deleting = h.jobs.deleteByPrefix('default', 'app', 'p-');
    const creating = h.schedule('p-new', { dueTime: '1s', data: 'new' });
    expect(await deleting).toBe(1);
    await creating;
    expect((await h.store.get(h.key('p-new')))?.progress.state).toBe('active');
    await h.clock.advance(1_000);
    expect(h.target.of('p-new').map((d) => [d.at - T0, d.trigger.data])).toEqual([[1_000, 'new']]);
    h.assertNeverEarly();
  });

  it('a delete issued after a create of the same name: the job never fires', async () => {
    const h = await sqliteHarness();
    const creating = h.schedule('x', { dueTime: '1s', data: 'x' });
    const deleting = h.jobs.delete(h.key('x'));
    await Promise.all([creating, deleting]);
    expect(await h.store.get(h.key('x'))).toBeUndefined();
    await h.clock.advance(6_000);
    expect(h.target.of('x')).toEqual([]);
  });

  it('two overwrites issued in one turn: the later one is what fires', async () => {
    const h = await sqliteHarness();
    await h.schedule('y', { dueTime: '1h', data: 'orig' });
    await Promise.all([h.schedule('y', { dueTime: '1s', data: 'A', overwrite: true }), h.schedule('y', { dueTime: '1s', data: 'B', overwrite: true })]);
    expect((await h.store.get(h.key('y')))?.def.data).toBe('B');
    await h.clock.advance(6_000);
    expect(h.target.of('y').map((d) => d.trigger.data)).toEqual(['B']);
  });
});
