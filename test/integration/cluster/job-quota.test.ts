// --max-jobs-per-app on the etcd store (docs/security.md, "Limits on requests and stored jobs";
// docs/cluster.md): two replicas on one real etcd, the limit lowered to 5 and the rate quota off.
// On etcd the count is of the app's stored jobs, tombstones included, each replica keeping it
// from a count-only read of the app's definitions refreshed at most every second at this size,
// plus its own creates and deletes (store-etcd/app-job-counts.ts). Shown here: the refusal and
// its answers on both APIs with nothing stored, an overwrite at the limit, another app untouched,
// room made by a delete (at once on the replica that deleted, within the refresh on the other),
// tombstones counted, and the overshoot of two replicas scheduling at once within one limit.

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterHarness, type Replica } from '../../../src/testing/cluster-harness.js';
import { daprSchedulerClient, grpcError, unary } from '../grpc/helpers.js';

const LIMIT = 5;
/** The refresh interval of an app this small (app-job-counts.ts: 1 s), with room for a loaded machine. */
const REFRESH_WAIT_MS = 1_500;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { message?: string; jobs?: Array<{ name: string; status?: { state?: string } }> };
}

async function call(via: Replica, method: string, path: string, appId: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${via.url}${path}`, {
    method,
    headers: { 'dapr-app-id': appId, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: text ? (JSON.parse(text) as Answer['body']) : {} };
}

const schedule = (via: Replica, appId: string, name: string, body: Record<string, unknown> = { dueTime: '1h' }) => call(via, 'POST', `/v1.0/jobs/${name}`, appId, body);

async function stored(via: Replica, appId: string): Promise<string[]> {
  const answer = await call(via, 'GET', '/v1.0/jobs?limit=1000', appId);
  expect(answer.status).toBe(200);
  return (answer.body.jobs ?? []).map((job) => job.name).sort();
}

describe('cluster: --max-jobs-per-app on etcd', () => {
  const cluster = new ClusterHarness({ replicas: 2, args: ['--max-jobs-per-app', String(LIMIT), '--schedule-rate-per-app', '0'] });
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    await cluster.start();
    await cluster.waitBalanced();
    [a, b] = cluster.live() as [Replica, Replica];
  }, 180_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  it('an app at the limit gets 429 with Retry-After and RESOURCE_EXHAUSTED on either replica, and nothing is stored; an overwrite passes; another app is not affected', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await schedule(a, 'full', `job-${i}`)).status).toBe(204);
    const refused = await schedule(a, 'full', 'one-more');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe('60');
    expect(refused.body.message).toContain('--max-jobs-per-app 5');
    // The other replica has not counted this app yet: its first count reads etcd.
    expect((await schedule(b, 'full', 'one-more')).status).toBe(429);
    const scheduler = daprSchedulerClient(Number(b.schedulerAddress.split(':').pop()));
    try {
      const grpc = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'one-more', job: { dueTime: '1h' }, metadata: { appId: 'full', namespace: 'default', target: { job: {} } } }));
      expect(grpc.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(grpc.details).toContain('--max-jobs-per-app');
    } finally {
      scheduler.close();
    }
    for (const via of [a, b]) {
      expect((await call(via, 'GET', '/v1.0/jobs/one-more', 'full')).status).toBe(404);
      expect(await stored(via, 'full')).toEqual(['job-0', 'job-1', 'job-2', 'job-3', 'job-4']);
    }
    // An overwrite of a job the app holds is not a new job, on either replica.
    expect((await schedule(a, 'full', 'job-0', { dueTime: '2h', overwrite: true })).status).toBe(204);
    expect((await schedule(b, 'full', 'job-1', { dueTime: '2h', overwrite: true })).status).toBe(204);
    // Another app, on either replica.
    expect((await schedule(a, 'roomy', 'x')).status).toBe(204);
    expect((await schedule(b, 'roomy', 'y')).status).toBe(204);
    expect(await stored(a, 'full')).toHaveLength(LIMIT);
  }, 60_000);

  it('a delete makes room at once on the replica that made it, and within the refresh interval on the other', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await schedule(a, 'cycle', `job-${i}`)).status).toBe(204);
    expect((await schedule(a, 'cycle', 'next')).status).toBe(429);
    expect((await schedule(b, 'cycle', 'next')).status).toBe(429);
    // Through A: its own delete is counted when it is written.
    expect((await call(a, 'DELETE', '/v1.0/jobs/job-0', 'cycle')).status).toBe(204);
    expect((await schedule(a, 'cycle', 'next')).status).toBe(204);
    expect((await schedule(a, 'cycle', 'next-2')).status).toBe(429);
    // Through B: A learns of it from its next count, at most one refresh interval later.
    expect((await call(b, 'DELETE', '/v1.0/jobs/job-1', 'cycle')).status).toBe(204);
    const deletedAt = Date.now();
    let answer = await schedule(a, 'cycle', 'next-2');
    for (let i = 0; answer.status === 429 && i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      answer = await schedule(a, 'cycle', 'next-2');
    }
    expect(answer.status).toBe(204);
    expect(Date.now() - deletedAt).toBeLessThan(10_000);
    expect(await stored(b, 'cycle')).toEqual(['job-2', 'job-3', 'job-4', 'next', 'next-2']);
  }, 60_000);

  it('finished jobs (tombstones) count until they are deleted or purged', async () => {
    // The harness's app (the default app id) receives these, so they finish as tombstones.
    const names = Array.from({ length: LIMIT }, (_, i) => `once-${i}`);
    const due = new Date(Date.now() + 500).toISOString();
    for (const name of names) expect((await schedule(a, 'default', name, { dueTime: due })).status).toBe(204);
    await cluster.waitFor((d) => names.every((name) => d.some((x) => x.job === name)), 30_000, 'every one-shot job delivered');
    for (const name of names) {
      await expect.poll(async () => (await call(a, 'GET', `/v1.0/jobs/${name}`, 'default')).body, { timeout: 10_000 }).toMatchObject({ status: { state: 'completed' } });
    }
    for (const via of [a, b]) {
      const refused = await schedule(via, 'default', 'after');
      expect(refused.status).toBe(429);
      expect(refused.body.message).toContain('--tombstone-ttl');
    }
    expect((await call(b, 'DELETE', '/v1.0/jobs/once-0', 'default')).status).toBe(204);
    expect((await schedule(b, 'default', 'after', { dueTime: '1h' })).status).toBe(204);
  }, 60_000);

  it('two replicas scheduling at once for one app pass the limit by at most one replica\'s share: (replicas - 1) x limit', async () => {
    // One request at a time per replica, both replicas at once: each counts the app once (0 jobs),
    // then stops at its own LIMIT creates unless a refresh showed it the other's first.
    const run = async (via: Replica, tag: string): Promise<number> => {
      let admitted = 0;
      for (let i = 0; i < 4 * LIMIT; i++) {
        const answer = await schedule(via, 'race', `${tag}-${String(i).padStart(2, '0')}`);
        expect([204, 429]).toContain(answer.status);
        if (answer.status === 204) admitted++;
      }
      return admitted;
    };
    const [byA, byB] = await Promise.all([run(a, 'a'), run(b, 'b')]);
    expect(byA).toBeLessThanOrEqual(LIMIT);
    expect(byB).toBeLessThanOrEqual(LIMIT);
    const count = (await stored(a, 'race')).length;
    expect(count).toBe(byA + byB);
    expect(count).toBeGreaterThanOrEqual(LIMIT);
    expect(count).toBeLessThanOrEqual(2 * LIMIT);
    // Once each has counted again, neither admits more.
    await new Promise((resolve) => setTimeout(resolve, REFRESH_WAIT_MS));
    expect((await schedule(a, 'race', 'late-a')).status).toBe(429);
    expect((await schedule(b, 'race', 'late-b')).status).toBe(429);
    expect((await stored(b, 'race')).length).toBe(count);
  }, 60_000);
});
