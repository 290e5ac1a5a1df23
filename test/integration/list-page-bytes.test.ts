// List pages bounded by bytes as well as count (issue 10 row 2, docs/security.md): a page of
// `GET /v1.0/jobs?limit=1000` over large jobs once answered 213 MB and took 1.4 GB of memory. A
// page now ends early at --list-page-bytes with its nextCursor, as it does at `limit`, and paging
// on reaches every job; gRPC ListJobs, which has no pages, answers RESOURCE_EXHAUSTED beyond it.

import { status, type Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';
import { daprRuntimeClient, daprSchedulerClient, grpcError, unary } from './grpc/helpers.js';

const BUDGET = 1024 * 1024;
const JOBS = 40;
const DATA = 'x'.repeat(100_000); // 40 jobs of ~100 KB: ~4 MB, four times the budget

let node: Node;
let runtime: Client;
let scheduler: Client;
const big = { 'dapr-app-id': 'big' };

beforeAll(async () => {
  node = await startNode({ listPageBytes: BUDGET });
  runtime = daprRuntimeClient(node.duetime.grpcPort);
  scheduler = daprSchedulerClient(node.duetime.schedulerPort);
  for (let i = 0; i < JOBS; i++) {
    const res = await node.call('POST', `/v1.0/jobs/big-${String(i).padStart(2, '0')}`, { dueTime: '1h', data: { i, text: DATA } }, big);
    expect(res.status).toBe(204);
  }
  for (const name of ['a', 'b', 'c']) {
    expect((await node.call('POST', `/v1.0/jobs/${name}`, { dueTime: '1h', data: { small: name } }, { 'dapr-app-id': 'small' })).status).toBe(204);
  }
}, 120_000);
afterAll(async () => {
  runtime?.close();
  scheduler?.close();
  await node?.close();
});

describe('GET /v1.0/jobs', () => {
  it('a page of large jobs ends within --list-page-bytes with a cursor, and paging on lists every job once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await node.call('GET', `/v1.0/jobs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, big);
      expect(res.status).toBe(200);
      expect(Buffer.byteLength(res.text)).toBeLessThanOrEqual(BUDGET + 1024); // the page's own brackets and cursor
      expect(res.body.jobs.length).toBeGreaterThan(0);
      if (pages === 0) {
        expect(res.body.jobs.length).toBeLessThan(JOBS);
        expect(res.body.nextCursor).toBeDefined();
      }
      seen.push(...res.body.jobs.map((job: { name: string }) => job.name));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor !== undefined && pages < 50);
    expect(cursor).toBeUndefined();
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual(Array.from({ length: JOBS }, (_, i) => `big-${String(i).padStart(2, '0')}`));
  });

  it('small jobs: limit still counts, and the last page has no cursor', async () => {
    const first = await node.call('GET', '/v1.0/jobs?limit=2', undefined, { 'dapr-app-id': 'small' });
    expect(first.body.jobs.map((j: { name: string }) => j.name)).toEqual(['a', 'b']);
    expect(first.body.nextCursor).toBe('b');
    const rest = await node.call('GET', '/v1.0/jobs?limit=2&cursor=b', undefined, { 'dapr-app-id': 'small' });
    expect(rest.body).toMatchObject({ jobs: [{ name: 'c', data: { small: 'c' } }] });
    expect(rest.body.nextCursor).toBeUndefined();
  });
});

describe('gRPC ListJobs (no pages)', () => {
  it('more than --list-page-bytes of jobs is RESOURCE_EXHAUSTED naming the flag, on both APIs', async () => {
    const runtimeError = await grpcError(unary(runtime, 'ListJobsAlpha1', {}, big));
    expect(runtimeError.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(runtimeError.details).toContain('--list-page-bytes');
    const schedulerError = await grpcError(unary(scheduler, 'ListJobs', { metadata: { appId: 'big', namespace: 'default', target: { job: {} } } }));
    expect(schedulerError.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(schedulerError.details).toContain('--list-page-bytes');
  });

  it('within the budget, every job is listed', async () => {
    const listed = await unary<{ jobs: Array<{ name: string }> }>(runtime, 'ListJobsAlpha1', {}, { 'dapr-app-id': 'small' });
    expect(listed.jobs.map((j) => j.name)).toEqual(['a', 'b', 'c']);
  });
});
