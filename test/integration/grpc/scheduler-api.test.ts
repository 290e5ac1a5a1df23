// dapr.proto.scheduler.v1.Scheduler unary methods and WatchHosts, driven by a grpc-js client
// built from the scheduler.proto that @dapr/dapr ships: the owner travels in JobMetadata.

import { Metadata, status, type Client, type ClientReadableStream } from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from '../support.js';
import { daprSchedulerClient, grpcError, readValueAny, unary, valueAny, WatchConsumer } from './helpers.js';

let node: Node;
let scheduler: Client;

beforeAll(async () => {
  node = await startNode();
  scheduler = daprSchedulerClient(node.duetime.schedulerPort);
});
afterAll(async () => {
  scheduler?.close();
  await node?.close();
});

const owner = (appId: string, namespace = 'default') => ({ appId, namespace, target: { job: {} } });

describe('jobs by JobMetadata', () => {
  it('ScheduleJob, GetJob, ListJobs, DeleteJob', async () => {
    await unary(scheduler, 'ScheduleJob', {
      name: 'sweep',
      job: { schedule: '@every 1h', repeats: 3, data: valueAny({ zone: 'eu' }), failurePolicy: { constant: { interval: { seconds: 1, nanos: 250_000_000 }, maxRetries: 2 } } },
      metadata: owner('cleaner', 'ops'),
      overwrite: false,
    });
    await unary(scheduler, 'ScheduleJob', { name: 'audit', job: { dueTime: '1h' }, metadata: owner('cleaner', 'ops') });

    const { job } = await unary<{ job: Record<string, unknown> & { data: { type_url: string; value: Buffer } } }>(scheduler, 'GetJob', { name: 'sweep', metadata: owner('cleaner', 'ops') });
    expect(job).toMatchObject({ schedule: '@every 1h', repeats: 3, failurePolicy: { constant: { interval: { seconds: '1', nanos: 250_000_000 }, maxRetries: 2 } } });
    expect(readValueAny(job.data)).toEqual({ zone: 'eu' });

    const list = await unary<{ jobs: Array<{ name: string; metadata: Record<string, unknown>; job: Record<string, unknown> }> }>(scheduler, 'ListJobs', { metadata: owner('cleaner', 'ops') });
    expect(list.jobs.map((j) => j.name)).toEqual(['audit', 'sweep']);
    expect(list.jobs[0]!.metadata).toMatchObject({ appId: 'cleaner', namespace: 'ops', target: { job: {} } });
    expect(list.jobs[0]!.job).toMatchObject({ dueTime: '1h' });

    // Same owner over HTTP: the namespace is part of the identity.
    expect((await node.call('GET', '/v1.0/jobs/sweep', undefined, { 'dapr-app-id': 'cleaner', 'dapr-namespace': 'ops' })).status).toBe(200);
    expect((await node.call('GET', '/v1.0/jobs/sweep', undefined, { 'dapr-app-id': 'cleaner' })).status).toBe(404);

    await unary(scheduler, 'DeleteJob', { name: 'sweep', metadata: owner('cleaner', 'ops') });
    expect((await grpcError(unary(scheduler, 'GetJob', { name: 'sweep', metadata: owner('cleaner', 'ops') }))).code).toBe(status.NOT_FOUND);
  });

  it('DeleteByNamePrefix and DeleteByMetadata', async () => {
    for (const name of ['tmp-1', 'tmp-2', 'keep']) await unary(scheduler, 'ScheduleJob', { name, job: { dueTime: '1h' }, metadata: owner('bulk') });
    await unary(scheduler, 'DeleteByNamePrefix', { namePrefix: 'tmp-', metadata: owner('bulk') });
    expect((await unary<{ jobs: Array<{ name: string }> }>(scheduler, 'ListJobs', { metadata: owner('bulk') })).jobs.map((j) => j.name)).toEqual(['keep']);
    await unary(scheduler, 'ScheduleJob', { name: 'elsewhere', job: { dueTime: '1h' }, metadata: owner('bystander') });
    await unary(scheduler, 'DeleteByMetadata', { metadata: owner('bulk') });
    expect((await unary<{ jobs: unknown[] }>(scheduler, 'ListJobs', { metadata: owner('bulk') })).jobs).toEqual([]);
    expect((await unary<{ jobs: unknown[] }>(scheduler, 'ListJobs', { metadata: owner('bystander') })).jobs).toHaveLength(1);
  });

  it('errors map to gRPC codes', async () => {
    const empty = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'e', job: {}, metadata: owner('err') }));
    expect([empty.code, empty.metadata.get('dapr-error-code')[0]]).toEqual([status.INVALID_ARGUMENT, 'DAPR_SCHEDULER_SCHEDULE_EMPTY']);
    expect((await grpcError(unary(scheduler, 'ScheduleJob', { name: 'e', metadata: owner('err') }))).code).toBe(status.INVALID_ARGUMENT); // no job at all
    const badInterval = await grpcError(
      unary(scheduler, 'ScheduleJob', { name: 'e', job: { dueTime: '1s', failurePolicy: { constant: { interval: { seconds: -1 } } } }, metadata: owner('err') }),
    );
    expect(badInterval.code).toBe(status.INVALID_ARGUMENT);
    await unary(scheduler, 'ScheduleJob', { name: 'dup', job: { dueTime: '1h' }, metadata: owner('err') });
    expect((await grpcError(unary(scheduler, 'ScheduleJob', { name: 'dup', job: { dueTime: '1h' }, metadata: owner('err') }))).code).toBe(status.ALREADY_EXISTS);
  });
});

describe('WatchHosts', () => {
  it('sends this node\'s scheduler address once and keeps the stream open', async () => {
    const call = (scheduler as unknown as { WatchHosts(req: object): ClientReadableStream<{ hosts: Array<{ address: string }> }> }).WatchHosts({});
    const first = await new Promise<{ hosts: Array<{ address: string }> }>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    expect(first.hosts).toEqual([{ address: `127.0.0.1:${node.duetime.schedulerPort}` }]);
    let ended = false;
    call.on('end', () => (ended = true));
    call.on('error', () => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ended).toBe(false);
    call.cancel();
  });
});

describe('WatchJobs protocol errors', () => {
  it('a result before initial ends the stream with INVALID_ARGUMENT', async () => {
    const consumer = new WatchConsumer(scheduler, { appId: 'proto' });
    await consumer.connected();
    consumer.call.write({ initial: { appId: 'proto' } });
    expect((await consumer.ended)?.code).toBe(status.INVALID_ARGUMENT);

    const raw = (scheduler as unknown as { WatchJobs(md: Metadata): WatchConsumer['call'] }).WatchJobs(new Metadata());
    const ended = new Promise<{ code: number }>((resolve) => raw.on('error', resolve));
    raw.write({ result: { id: '1', status: 'SUCCESS' } });
    expect((await ended).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('API tokens on the scheduler API', () => {
  let secured: Node;
  let client: Client;
  beforeAll(async () => {
    const file = join(node.dataDir, 'scheduler-tokens.yaml');
    writeFileSync(file, 'tokens:\n  - token: orders-token\n    appId: orders\n');
    secured = await startNode({ configFile: file });
    client = daprSchedulerClient(secured.duetime.schedulerPort);
  });
  afterAll(async () => {
    client?.close();
    await secured?.close();
  });

  it('the owner in JobMetadata must match the token\'s app', async () => {
    expect((await grpcError(unary(client, 'ListJobs', { metadata: owner('orders') }))).code).toBe(status.UNAUTHENTICATED);
    expect((await grpcError(unary(client, 'ListJobs', { metadata: owner('billing') }, { 'dapr-api-token': 'orders-token' }))).code).toBe(status.PERMISSION_DENIED);
    expect((await unary<{ jobs: unknown[] }>(client, 'ListJobs', { metadata: owner('orders') }, { 'dapr-api-token': 'orders-token' })).jobs).toEqual([]);
  });

  it('WatchJobs checks the initial message against the token', async () => {
    const anonymous = new WatchConsumer(client, { appId: 'orders' });
    expect((await anonymous.ended)?.code).toBe(status.UNAUTHENTICATED);
    const impostor = new WatchConsumer(client, { appId: 'billing' }, { 'dapr-api-token': 'orders-token' });
    expect((await impostor.ended)?.code).toBe(status.PERMISSION_DENIED);
    const rightful = new WatchConsumer(client, { appId: 'orders' }, { 'dapr-api-token': 'orders-token' });
    await rightful.connected();
    await rightful.kill();
  });
});
