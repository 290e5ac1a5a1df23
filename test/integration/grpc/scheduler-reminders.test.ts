// Actor reminders through dapr.proto.scheduler.v1.Scheduler, as a Dapr sidecar keeps them in its
// scheduler: JobMetadata.target = actor{type, id}, the period already turned into a schedule and
// repeats, the data a BytesValue of JSON. Driven by a client built from the scheduler.proto that
// @dapr/dapr ships; payloads encoded by protobuf-es. The default app ("app") hosts actor type
// Clock over HTTP (its GET /dapr/config names it).

import { create } from '@bufbuild/protobuf';
import { anyPack, BytesValueSchema } from '@bufbuild/protobuf/wkt';
import { status, type Client } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Received, Reply } from '../../../src/testing/recording-receiver.js';
import { startNode, type Node } from '../support.js';
import { daprSchedulerClient, grpcError, readValueAny, unary, valueAny, WatchConsumer } from './helpers.js';

let node: Node;
let scheduler: Client;

const hostsClock = (request: Received): Reply =>
  request.path === '/dapr/config' ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entities: ['Clock'] }) } : { status: 200 };

beforeAll(async () => {
  node = await startNode();
  node.receiver.respond = hostsClock;
  scheduler = daprSchedulerClient(node.duetime.schedulerPort);
});
afterEach(() => {
  expect(node.receiver.earlyDeliveries()).toEqual([]);
});
afterAll(async () => {
  scheduler?.close();
  await node?.close();
});

const actorOwner = (appId: string, type: string, id: string) => ({ appId, namespace: 'default', target: { actor: { type, id } } });
const jobOwner = (appId: string) => ({ appId, namespace: 'default', target: { job: {} } });

/** JSON as a Dapr sidecar sends reminder data: Any{google.protobuf.BytesValue{compact JSON}}. */
function bytesValueJson(json: unknown): { type_url: string; value: Buffer } {
  const any = anyPack(BytesValueSchema, create(BytesValueSchema, { value: Buffer.from(JSON.stringify(json)) }));
  return { type_url: any.typeUrl, value: Buffer.from(any.value) };
}

interface NamedJob {
  name: string;
  metadata: { appId: string; namespace: string; target: { actor?: { type: string; id: string } | null; job?: object | null } };
  job: Record<string, unknown>;
}
const list = async (metadata: object): Promise<NamedJob[]> => (await unary<{ jobs: NamedJob[] }>(scheduler, 'ListJobs', { metadata })).jobs;
const names = (jobs: NamedJob[]) => jobs.map((j) => `${j.metadata.target.actor?.id ?? '-'}/${j.name}`).sort();

describe('reminders by JobMetadata', () => {
  it('ScheduleJob, GetJob and ListJobs keep a reminder apart from the app\'s jobs, as the HTTP routes see it', async () => {
    const meta = actorOwner('carts', 'Cart', 'c-1');
    await unary(scheduler, 'ScheduleJob', {
      name: 'expire',
      job: { schedule: '@every 1h', repeats: 5, dueTime: '2h', data: valueAny({ sku: 'x' }) },
      metadata: meta,
      overwrite: true,
    });
    await unary(scheduler, 'ScheduleJob', { name: 'audit', job: { dueTime: '1h' }, metadata: actorOwner('carts', 'Cart', 'c-2'), overwrite: true });
    await unary(scheduler, 'ScheduleJob', { name: 'expire', job: { dueTime: '1h' }, metadata: jobOwner('carts') }); // an app job of the same name

    const { job } = await unary<{ job: Record<string, unknown> & { data: { type_url: string; value: Buffer } } }>(scheduler, 'GetJob', { name: 'expire', metadata: meta });
    expect(job).toMatchObject({ schedule: '@every 1h', repeats: 5, dueTime: '2h' });
    expect(readValueAny(job.data)).toEqual({ sku: 'x' });

    // One actor, then every actor of the type; the app's own jobs list only the app job.
    expect(names(await list(meta))).toEqual(['c-1/expire']);
    const ofType = await list(actorOwner('carts', 'Cart', ''));
    expect(names(ofType)).toEqual(['c-1/expire', 'c-2/audit']);
    expect(ofType[0]!.metadata).toMatchObject({ appId: 'carts', namespace: 'default', target: { actor: { type: 'Cart', id: 'c-1' } } });
    expect(names(await list(jobOwner('carts')))).toEqual(['-/expire']);

    // The same reminder through the HTTP reminder routes of its app, and of no other app.
    const view = await node.call('GET', '/v1.0/actors/Cart/c-1/reminders/expire', undefined, { 'dapr-app-id': 'carts' });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ actorType: 'Cart', actorID: 'c-1', name: 'expire', period: '@every 1h', dueTime: '2h', data: { sku: 'x' } });
    expect((await node.call('GET', '/v1.0/actors/Cart/c-1/reminders/expire', undefined, { 'dapr-app-id': 'other' })).status).toBe(404);
    expect(await list(actorOwner('other', 'Cart', ''))).toEqual([]);
    expect((await grpcError(unary(scheduler, 'GetJob', { name: 'expire', metadata: actorOwner('other', 'Cart', 'c-1') }))).code).toBe(status.NOT_FOUND);
  });

  it('overwrite false refuses an existing reminder; overwrite true replaces it', async () => {
    const meta = actorOwner('over', 'Cart', 'o-1');
    await unary(scheduler, 'ScheduleJob', { name: 'r', job: { dueTime: '1h' }, metadata: meta, overwrite: false });
    const taken = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'r', job: { dueTime: '2h' }, metadata: meta, overwrite: false }));
    expect(taken.code).toBe(status.ALREADY_EXISTS);
    await unary(scheduler, 'ScheduleJob', { name: 'r', job: { dueTime: '3h' }, metadata: meta, overwrite: true });
    expect((await unary<{ job: { dueTime: string } }>(scheduler, 'GetJob', { name: 'r', metadata: meta })).job.dueTime).toBe('3h');
  });

  it('refuses what no reminder can be, with INVALID_ARGUMENT naming the field', async () => {
    const emptyType = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'r', job: { dueTime: '1h' }, metadata: actorOwner('bad', '', 'x') }));
    expect(emptyType.code).toBe(status.INVALID_ARGUMENT);
    expect(emptyType.details).toMatch(/actor type/);
    const emptyId = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'r', job: { dueTime: '1h' }, metadata: actorOwner('bad', 'Cart', '') }));
    expect(emptyId.code).toBe(status.INVALID_ARGUMENT);
    const noTime = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'r', job: {}, metadata: actorOwner('bad', 'Cart', 'x') }));
    expect([noTime.code, noTime.metadata.get('dapr-error-code')[0]]).toEqual([status.INVALID_ARGUMENT, 'DAPR_SCHEDULER_SCHEDULE_EMPTY']);
    expect(await list(actorOwner('bad', 'Cart', ''))).toEqual([]);
  });

  it('DeleteJob, DeleteByNamePrefix and DeleteByMetadata (one actor, or ids by prefix)', async () => {
    const at = (id: string) => actorOwner('bulk', 'Cart', id);
    for (const [id, name] of [['a-1', 'tmp-1'], ['a-1', 'tmp-2'], ['a-1', 'keep'], ['a-2', 'x'], ['a-3', 'x'], ['b-1', 'x'], ['b-2', 'x']] as const) {
      await unary(scheduler, 'ScheduleJob', { name, job: { dueTime: '1h' }, metadata: at(id), overwrite: true });
    }
    await unary(scheduler, 'ScheduleJob', { name: 'x', job: { dueTime: '1h' }, metadata: actorOwner('bulk', 'Order', 'a-9'), overwrite: true });
    await unary(scheduler, 'ScheduleJob', { name: 'app-job', job: { dueTime: '1h' }, metadata: jobOwner('bulk') });

    await unary(scheduler, 'DeleteByNamePrefix', { namePrefix: 'tmp-', metadata: at('a-1') });
    expect(names(await list(at('a-1')))).toEqual(['a-1/keep']);
    await unary(scheduler, 'DeleteJob', { name: 'keep', metadata: at('a-1') });
    expect(await list(at('a-1'))).toEqual([]);

    // With no actor id: the names start with the prefix, on any actor of the type.
    for (const id of ['n-1', 'n-2']) await unary(scheduler, 'ScheduleJob', { name: 'cron-x', job: { dueTime: '1h' }, metadata: at(id), overwrite: true });
    await unary(scheduler, 'DeleteByNamePrefix', { namePrefix: 'cron-', metadata: at('') });
    expect(names(await list(at('')))).toEqual(['a-2/x', 'a-3/x', 'b-1/x', 'b-2/x']);

    await unary(scheduler, 'DeleteByMetadata', { metadata: at('a-2') }); // exactly that actor
    expect(names(await list(at('')))).toEqual(['a-3/x', 'b-1/x', 'b-2/x']);
    await unary(scheduler, 'DeleteByMetadata', { metadata: at('b'), idPrefixMatch: true }); // every id starting with "b"
    expect(names(await list(at('')))).toEqual(['a-3/x']);

    // Other types and the app's own jobs are untouched.
    expect(names(await list(actorOwner('bulk', 'Order', '')))).toEqual(['a-9/x']);
    expect(names(await list(jobOwner('bulk')))).toEqual(['-/app-job']);
  });
});

describe('reminders scheduled through the scheduler API fire', () => {
  it('at an HTTP host of the type: PUT .../method/remind/{name} with the data the BytesValue held, on time', async () => {
    const dueAt = Date.now() + 600;
    await unary(scheduler, 'ScheduleJob', {
      name: 'tick',
      job: { schedule: '@every 1s', repeats: 2, dueTime: new Date(dueAt).toISOString(), data: bytesValueJson({ n: 7 }) },
      metadata: actorOwner('app', 'Clock', 'g-1'),
      overwrite: true,
    });
    const path = '/actors/Clock/g-1/method/remind/tick';
    await node.receiver.waitFor(() => node.receiver.received.filter((r) => r.path === path).length === 2, 20_000, 'two remind calls');
    const calls = node.receiver.received.filter((r) => r.path === path);
    expect(calls[0]!.scheduledAt).toBe(dueAt);
    expect(calls[1]!.scheduledAt).toBe(dueAt + 1000);
    for (const call of calls) {
      expect(call.method).toBe('PUT');
      expect(call.receivedAt).toBeGreaterThanOrEqual(call.scheduledAt!);
      expect(JSON.parse(call.body)).toMatchObject({ data: { n: 7 }, period: '@every 1s' });
    }
    // repeats: 2 reached, the reminder is gone.
    await expect.poll(async () => (await grpcError(unary(scheduler, 'GetJob', { name: 'tick', metadata: actorOwner('app', 'Clock', 'g-1') }))).code, { timeout: 10_000 }).toBe(status.NOT_FOUND);
  });

  it('at a WatchJobs host of the type: the same Any back, with actor metadata, not early', async () => {
    const host = new WatchConsumer(scheduler, { appId: 'streamer', actorTypes: ['Robot'], acceptJobTypes: ['JOB_TARGET_TYPE_ACTOR_REMINDER'] });
    try {
      await host.connected();
      const data = bytesValueJson({ cmd: 'charge' });
      const dueAt = Date.now() + 500;
      await unary(scheduler, 'ScheduleJob', { name: 'wake', job: { dueTime: new Date(dueAt).toISOString(), data }, metadata: actorOwner('streamer', 'Robot', 'r2'), overwrite: true });
      await host.waitFor(() => host.forJob('wake').length === 1, 15_000, 'wake');
      const [trigger] = host.forJob('wake');
      expect(trigger!.receivedAt).toBeGreaterThanOrEqual(dueAt);
      expect(trigger!.metadata).toMatchObject({ appId: 'streamer', namespace: 'default', target: { actor: { type: 'Robot', id: 'r2' } } });
      expect(trigger!.data!.type_url).toBe(data.type_url);
      expect(Buffer.from(trigger!.data!.value).equals(data.value)).toBe(true);
    } finally {
      await host.kill();
    }
  });
});
