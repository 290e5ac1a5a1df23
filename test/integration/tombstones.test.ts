// What a finished job leaves (README, "What a finished job leaves"): a tombstone readable over HTTP
// for --tombstone-ttl with state completed or failed and its history, never fired again, its
// name free for a new job, deleted on DELETE, purged by the sweep after the ttl; hidden from
// Dapr's gRPC APIs (their messages have no status), and absent with --tombstone-ttl 0s.

import { status, type Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daprSchedulerClient, grpcError, unary } from './grpc/helpers.js';
import { startNode, type Node } from './support.js';

describe('tombstones of finished jobs (--tombstone-ttl 4s)', () => {
  let node: Node;
  let scheduler: Client;
  beforeAll(async () => {
    node = await startNode({ tombstoneTtl: '4s' });
    scheduler = daprSchedulerClient(node.duetime.schedulerPort);
  });
  afterAll(async () => {
    scheduler?.close();
    await node?.close();
  });

  it('a delivered one-shot job reads as completed with its history, listed with its state, then is purged', async () => {
    await node.call('POST', '/v1.0/jobs/once', { dueTime: '10ms', data: { n: 1 } });
    await node.call('POST', '/v1.0/jobs/later', { dueTime: '1h' });
    await node.receiver.waitFor(() => node.receiver.forJob('once').length === 1, 10_000);
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/once')).body?.status?.state, { timeout: 10_000 }).toBe('completed');
    const { body } = await node.call('GET', '/v1.0/jobs/once');
    expect(body).toMatchObject({ name: 'once', dueTime: '10ms', data: { n: 1 }, status: { count: 1, state: 'completed' } });
    expect(Date.parse(body.status.finishedTime)).toBeGreaterThanOrEqual(Date.parse(body.status.lastTrigger));
    expect(body.status.nextTrigger).toBeUndefined();
    expect((await node.call('GET', '/v1.0/jobs/once/history')).body.history).toMatchObject([{ outcome: 'success', attempt: 1, manual: false }]);
    const list = (await node.call('GET', '/v1.0/jobs')).body.jobs as Array<{ name: string; status: { state: string } }>;
    expect(list.map((j) => [j.name, j.status.state])).toEqual([
      ['later', 'active'],
      ['once', 'completed'],
    ]);
    // Refused operations: it never fires again.
    expect((await node.call('POST', '/v1.0/jobs/once/trigger')).status).toBe(409);
    // Dapr's gRPC scheduler API knows no tombstones: not found, not listed.
    const owner = { appId: 'app', namespace: 'default', target: { job: {} } };
    expect((await grpcError(unary(scheduler, 'GetJob', { name: 'once', metadata: owner }))).code).toBe(status.NOT_FOUND);
    const grpcList = await unary<{ jobs: Array<{ name: string }> }>(scheduler, 'ListJobs', { metadata: owner });
    expect(grpcList.jobs.map((j) => j.name)).toEqual(['later']);
    // The sweep purges it once it is older than the ttl (rounds every second).
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/once')).status, { timeout: 15_000, interval: 250 }).toBe(404);
    expect((await node.call('GET', '/v1.0/jobs/later')).status).toBe(200);
    expect(node.receiver.forJob('once')).toHaveLength(1);
  });

  it('a given-up job reads as failed with every attempt', async () => {
    node.receiver.respond = (r) => (r.path === '/job/doomed' ? { status: 500 } : { status: 200 });
    expect((await node.call('POST', '/v1.0/jobs/doomed', { dueTime: '10ms', failurePolicy: { constant: { interval: '100ms', maxRetries: 1 } } })).status).toBe(204);
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/doomed')).body?.status?.state, { timeout: 10_000 }).toBe('failed');
    const history = (await node.call('GET', '/v1.0/jobs/doomed/history')).body.history as Array<{ outcome: string; attempt: number }>;
    expect(history.map((e) => [e.outcome, e.attempt])).toEqual([
      ['dropped', 2],
      ['failed', 1],
    ]);
  });

  it('the name is free: a POST without overwrite replaces the tombstone; DELETE removes one', async () => {
    await node.call('POST', '/v1.0/jobs/again', { dueTime: '10ms' });
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/again')).body?.status?.state, { timeout: 10_000 }).toBe('completed');
    expect((await node.call('POST', '/v1.0/jobs/again', { dueTime: '10ms' })).status).toBe(204);
    await node.receiver.waitFor(() => node.receiver.forJob('again').length === 2, 10_000);
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/again')).body?.status?.state, { timeout: 10_000 }).toBe('completed');
    expect((await node.call('GET', '/v1.0/jobs/again/history')).body.history).toHaveLength(1);
    expect((await node.call('DELETE', '/v1.0/jobs/again')).status).toBe(204);
    expect((await node.call('GET', '/v1.0/jobs/again')).status).toBe(404);
  });
});

describe('--tombstone-ttl 0s', () => {
  let node: Node;
  beforeAll(async () => {
    node = await startNode({ tombstoneTtl: '0s' });
  });
  afterAll(async () => {
    await node?.close();
  });

  it('a finished job is deleted at once, as in Dapr', async () => {
    await node.call('POST', '/v1.0/jobs/gone', { dueTime: '10ms' });
    await node.receiver.waitFor(() => node.receiver.forJob('gone').length === 1, 10_000);
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/gone')).status, { timeout: 10_000 }).toBe(404);
  });
});
