// JobsService pages bounded by bytes as well as count (--list-page-bytes), on the memory store and
// the fake clock: a page ends early with a cursor, always holds at least one job, and reads the
// store a few records at a time so a page of large jobs never holds `limit` of them at once.

import { afterEach, describe, expect, it } from 'vitest';
import { JobsService } from '../../../src/app/jobs-service.js';
import type { ListOptions, ListPage } from '../../../src/core/ports/job-store.js';
import { makeHarness } from '../engine/harness.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function setUp(listPageBytes: number) {
  const harness = await makeHarness();
  stop = harness.stop;
  const reads: number[] = [];
  const list = harness.store.list.bind(harness.store);
  harness.store.list = async (namespace: string, appId: string, options: ListOptions): Promise<ListPage> => {
    const page = await list(namespace, appId, options);
    reads.push(page.records.length);
    return page;
  };
  const jobs = new JobsService(harness.store, harness.engine, harness.clock, undefined, undefined, { listPageBytes });
  const add = (name: string, bytes: number) => jobs.schedule(harness.key(name), { dueTime: '1h', data: 'x'.repeat(bytes) });
  const names = (page: { jobs: Array<{ name: string }> }) => page.jobs.map((job) => job.name);
  return { jobs, add, reads, names };
}

describe('JobsService.list with --list-page-bytes', () => {
  it('ends a page before the budget is passed, with the cursor of its last job, and pages on to the end', async () => {
    const { jobs, add, names } = await setUp(10_000);
    for (let i = 0; i < 10; i++) await add(`j${i}`, 3_000);
    const first = await jobs.list('default', 'app', { limit: 1000 });
    expect(names(first)).toEqual(['j0', 'j1', 'j2']); // a fourth ~3.3 KB job would pass 10,000
    expect(first.nextCursor).toBe('j2');
    const seen = [...names(first)];
    let cursor = first.nextCursor;
    for (let pages = 0; cursor !== undefined && pages < 10; pages++) {
      const page = await jobs.list('default', 'app', { limit: 1000, cursor });
      expect(JSON.stringify(page.jobs).length).toBeLessThanOrEqual(10_000);
      seen.push(...names(page));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `j${i}`));
  });

  it('a job larger than the budget still comes, alone on its page', async () => {
    const { jobs, add, names } = await setUp(1_000);
    await add('huge', 5_000);
    await add('small', 10);
    const first = await jobs.list('default', 'app', { limit: 10 });
    expect(names(first)).toEqual(['huge']);
    expect(first.nextCursor).toBe('huge');
    const second = await jobs.list('default', 'app', { limit: 10, cursor: 'huge' });
    expect(names(second)).toEqual(['small']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('reads large jobs from the store a few at a time, small ones in few reads', async () => {
    const large = await setUp(50_000);
    for (let i = 0; i < 100; i++) await large.add(`l${String(i).padStart(3, '0')}`, 10_000);
    large.reads.length = 0;
    const page = await large.jobs.list('default', 'app', { limit: 1000 });
    expect(page.jobs.length).toBe(4);
    expect(Math.max(...large.reads)).toBeLessThanOrEqual(16); // never `limit` records of 10 KB
    await stop?.();

    const small = await setUp(4 * 1024 * 1024);
    for (let i = 0; i < 300; i++) await small.add(`s${String(i).padStart(3, '0')}`, 10);
    small.reads.length = 0;
    const all = await small.jobs.list('default', 'app', { limit: 1000 });
    expect(all.jobs.length).toBe(300);
    expect(all.nextCursor).toBeUndefined();
    expect(small.reads.length).toBeLessThanOrEqual(3);
  });

  it('listEvery (gRPC ListJobs): everything within the budget, RESOURCE_EXHAUSTED (too-large) beyond it', async () => {
    const { jobs, add } = await setUp(10_000);
    for (let i = 0; i < 2; i++) await add(`j${i}`, 3_000);
    expect((await jobs.listEvery('default', 'app')).map((job) => job.name)).toEqual(['j0', 'j1']);
    await add('j2', 3_000);
    await add('j3', 3_000);
    await expect(jobs.listEvery('default', 'app')).rejects.toMatchObject({ kind: 'too-large', code: 'DAPR_SCHEDULER_LIST_JOBS', message: expect.stringContaining('--list-page-bytes') });
  });
});
