// Limits on a job's data (issue 10 row 1, docs/security.md): nesting depth and size are checked
// once, when a job or reminder is written, on every write path (HTTP jobs and reminders, the
// runtime and scheduler gRPC APIs), so nothing stored can break a read or a WatchJobs stream.
// Data nested thousands deep used to be stored (then every gRPC read of the app failed INTERNAL
// and its WatchJobs consumer was silently detached) or answered 500. A server started with the
// limit raised stores such a job, as an older server did: its reads and stream must survive it.

import { status, type Client } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';
import { daprRuntimeClient, daprSchedulerClient, grpcError, unary, valueAny, WatchConsumer } from './grpc/helpers.js';

let node: Node;
let scheduler: Client;
let runtime: Client;
const consumers: WatchConsumer[] = [];

beforeAll(async () => {
  node = await startNode();
  scheduler = daprSchedulerClient(node.duetime.schedulerPort);
  runtime = daprRuntimeClient(node.duetime.grpcPort);
});
afterEach(async () => {
  for (const consumer of consumers.splice(0)) await consumer.kill();
});
afterAll(async () => {
  scheduler?.close();
  runtime?.close();
  await node?.close();
});

/** `{"a":{"a":...1...}}`, `depth` objects deep, as JSON text. */
const deepObjectJson = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepArrayJson = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const jobBody = (dataJson: string, extra = '"dueTime":"1h"'): string => `{${extra},"data":${dataJson}}`;

/**
 * Any{google.protobuf.Value} of lists nested `depth` deep around a null, built bytes-first
 * without recursion (protobuf encoders of ours and protobuf-es recurse, and would overflow).
 */
function deepListValueAny(depth: number): { type_url: string; value: Buffer } {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  let value = Buffer.from([0x08, 0x00]); // Value{null_value: NULL_VALUE}
  for (let i = 0; i < depth; i++) {
    const list = Buffer.concat([Buffer.from([0x0a, ...varint(value.length)]), value]); // ListValue{values: [value]}
    value = Buffer.concat([Buffer.from([0x32, ...varint(list.length)]), list]); // Value{list_value}
  }
  return { type_url: 'type.googleapis.com/google.protobuf.Value', value };
}

const owner = (appId: string) => ({ appId, namespace: 'default', target: { job: {} } });
const actorOwner = (appId: string) => ({ appId, namespace: 'default', target: { actor: { type: 'Clock', id: 'c-1' } } });

async function expectNoJob(appId: string, name: string): Promise<void> {
  const res = await node.call('GET', `/v1.0/jobs/${name}`, undefined, { 'dapr-app-id': appId });
  expect(res.status).toBe(404);
}

function expectNamesDepth(message: string): void {
  expect(message).toContain('data');
  expect(message).toContain('32');
  expect(message).toContain('--max-data-depth');
}

describe('data nesting depth, over HTTP', () => {
  it('data 32 deep is stored; 33 deep is refused with 400 naming data, the limit and the flag', async () => {
    const ok = await node.call('POST', '/v1.0/jobs/deep-32', jobBody(deepObjectJson(32)), { 'dapr-app-id': 'depth' });
    expect(ok.status).toBe(204);
    const res = await node.call('POST', '/v1.0/jobs/deep-33', jobBody(deepObjectJson(33)), { 'dapr-app-id': 'depth' });
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe('DAPR_SCHEDULER_SCHEDULE_JOB');
    expectNamesDepth(res.body.message);
    expect(res.body.details.at(-1).field_violations[0].field).toBe('data');
    await expectNoJob('depth', 'deep-33');
  });

  it('data thousands deep (objects or arrays, on both route prefixes) is 400, never 500, and nothing is stored', async () => {
    for (const [i, json] of [deepObjectJson(3_500), deepArrayJson(5_000), deepObjectJson(20_000), deepArrayJson(200_000)].entries()) {
      for (const base of ['/v1.0', '/v1.0-alpha1']) {
        const res = await node.call('POST', `${base}/jobs/very-deep-${i}`, jobBody(json), { 'dapr-app-id': 'depth' });
        expect(res.status, `${base} case ${i}`).toBe(400);
        expect(res.body.message).toContain('data');
        await expectNoJob('depth', `very-deep-${i}`);
      }
    }
  });

  it('an actor reminder with data too deep is refused with 400 and not stored', async () => {
    const path = '/v1.0/actors/Clock/c-1/reminders/deep';
    const res = await node.call('PUT', path, `{"dueTime":"1h","data":${deepObjectJson(3_500)}}`, { 'dapr-app-id': 'depth' });
    expect(res.status).toBe(400);
    expectNamesDepth(res.body.message);
    expect((await node.call('GET', path, undefined, { 'dapr-app-id': 'depth' })).status).toBe(404);
  });
});

describe('data nesting depth, over gRPC', () => {
  it('runtime ScheduleJob with a Value 40 or 3,000 deep: INVALID_ARGUMENT naming data and the limit; nothing stored', async () => {
    const nested40 = JSON.parse(deepObjectJson(40)) as Record<string, unknown>;
    for (const [name, data] of [['rt-40', valueAny(nested40 as never)], ['rt-3000', deepListValueAny(3_000)]] as const) {
      const error = await grpcError(unary(runtime, 'ScheduleJobAlpha1', { job: { name, dueTime: '1h', data } }, { 'dapr-app-id': 'depth' }));
      expect(error.code, name).toBe(status.INVALID_ARGUMENT);
      expectNamesDepth(error.details);
      await expectNoJob('depth', name);
    }
  });

  it('scheduler ScheduleJob, for a job and for an actor reminder: INVALID_ARGUMENT; nothing stored', async () => {
    const error = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'sch-deep', job: { dueTime: '1h', data: deepListValueAny(3_000) }, metadata: owner('depth') }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expectNamesDepth(error.details);
    await expectNoJob('depth', 'sch-deep');
    const reminder = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'rem-deep', job: { dueTime: '1h', data: deepListValueAny(40) }, metadata: actorOwner('depth') }));
    expect(reminder.code).toBe(status.INVALID_ARGUMENT);
    expectNamesDepth(reminder.details);
    const listed = await unary<{ jobs: unknown[] }>(scheduler, 'ListJobs', { metadata: actorOwner('depth') });
    expect(listed.jobs).toEqual([]);
  });
});

describe('data size', () => {
  const big = 'x'.repeat(1_100_000); // over the 1 MiB default, under the 4 MiB body limit

  it('HTTP: data over --max-data-bytes is 413 naming data, the limit and the flag; nothing stored', async () => {
    const res = await node.call('POST', '/v1.0/jobs/too-big', { dueTime: '1h', data: big }, { 'dapr-app-id': 'size' });
    expect(res.status).toBe(413);
    expect(res.body.message).toContain('data');
    expect(res.body.message).toContain('1048576');
    expect(res.body.message).toContain('--max-data-bytes');
    expect(res.body.details.at(-1).field_violations[0].field).toBe('data');
    await expectNoJob('size', 'too-big');
    const reminder = await node.call('PUT', '/v1.0/actors/Clock/c-1/reminders/too-big', { dueTime: '1h', data: big }, { 'dapr-app-id': 'size' });
    expect(reminder.status).toBe(413);
  });

  it('gRPC: a Value or a raw payload over the limit is RESOURCE_EXHAUSTED; nothing stored', async () => {
    const value = await grpcError(unary(runtime, 'ScheduleJobAlpha1', { job: { name: 'big-value', dueTime: '1h', data: valueAny(big) } }, { 'dapr-app-id': 'size' }));
    expect(value.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(value.details).toContain('--max-data-bytes');
    const raw = { type_url: 'type.googleapis.com/google.protobuf.BytesValue', value: Buffer.alloc(1_100_000, 0x61) };
    const rawError = await grpcError(unary(scheduler, 'ScheduleJob', { name: 'big-raw', job: { dueTime: '1h', data: raw }, metadata: owner('size') }));
    expect(rawError.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(rawError.details).toContain('--max-data-bytes');
    await expectNoJob('size', 'big-value');
    await expectNoJob('size', 'big-raw');
  });
});

describe('the stream and reads of the app stay whole', () => {
  it('after deep data is refused, the app\'s WatchJobs consumer keeps receiving and ListJobs answers', async () => {
    const consumer = new WatchConsumer(scheduler, { appId: 'watched', acceptJobTypes: ['JOB_TARGET_TYPE_JOB'] });
    consumers.push(consumer);
    await consumer.connected();
    const refused = await node.call('POST', '/v1.0/jobs/poison', jobBody(deepObjectJson(3_500), '"dueTime":"0s"'), { 'dapr-app-id': 'watched' });
    expect(refused.status).toBe(400);
    await unary(scheduler, 'ScheduleJob', { name: 'after', job: { dueTime: '200ms', data: valueAny({ ok: true }) }, metadata: owner('watched') });
    await consumer.waitFor(() => consumer.forJob('after').length === 1, 20_000, 'the job after the refused one');
    expect(consumer.forJob('poison')).toEqual([]);
    // The consumer has 'after' in hand; its ack is committed a moment later (outcomes are batched
    // per event-loop turn), and the one-shot job is gone then. ListJobs answers throughout.
    let listed = await unary<{ jobs: unknown[] }>(runtime, 'ListJobsAlpha1', {}, { 'dapr-app-id': 'watched' });
    for (let i = 0; i < 50 && listed.jobs.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      listed = await unary<{ jobs: unknown[] }>(runtime, 'ListJobsAlpha1', {}, { 'dapr-app-id': 'watched' });
    }
    expect(listed.jobs).toEqual([]);
  });
});

describe('a poison job stored before the limit (a server with the limit raised)', () => {
  let lax: Node;
  let laxScheduler: Client;
  let laxRuntime: Client;
  beforeAll(async () => {
    lax = await startNode({ maxDataDepth: 100_000 });
    laxScheduler = daprSchedulerClient(lax.duetime.schedulerPort);
    laxRuntime = daprRuntimeClient(lax.duetime.grpcPort);
  });
  afterAll(async () => {
    laxScheduler?.close();
    laxRuntime?.close();
    await lax?.close();
  });

  it('fails its own attempt, not the stream; gRPC ListJobs leaves it out and lists the rest', async () => {
    const consumer = new WatchConsumer(laxScheduler, { appId: 'poisoned', acceptJobTypes: ['JOB_TARGET_TYPE_JOB'] });
    consumers.push(consumer);
    await consumer.connected();
    const headers = { 'dapr-app-id': 'poisoned' };
    const stored = await lax.call('POST', '/v1.0/jobs/poison', jobBody(deepObjectJson(3_500), '"schedule":"@every 1h","dueTime":"0s","failurePolicy":{"drop":{}}'), headers);
    expect(stored.status).toBe(204);
    expect((await lax.call('POST', '/v1.0/jobs/later', { dueTime: '1h', data: { fine: 1 } }, headers)).status).toBe(204);
    await unary(laxScheduler, 'ScheduleJob', { name: 'after', job: { dueTime: '300ms', data: valueAny({ ok: true }) }, metadata: owner('poisoned') });
    await consumer.waitFor(() => consumer.forJob('after').length === 1, 20_000, 'the job after the poison one');
    expect(consumer.forJob('poison')).toEqual([]);
    // Its own attempt failed with the reason.
    let history: Array<{ outcome: string; detail?: string }> = [];
    for (let i = 0; i < 100 && history.length === 0; i++) {
      history = (await lax.call('GET', '/v1.0/jobs/poison/history', undefined, headers)).body.history;
      if (history.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(history[0]!.outcome).toBe('dropped'); // failed, and the drop policy gives up on the tick
    expect(history[0]!.detail).toContain('nested too deep');
    const listed = await unary<{ jobs: Array<{ name: string }> }>(laxRuntime, 'ListJobsAlpha1', {}, headers);
    expect(listed.jobs.map((j) => j.name)).toEqual(['later']);
    const scheduled = await unary<{ jobs: Array<{ name: string }> }>(laxScheduler, 'ListJobs', { metadata: owner('poisoned') });
    expect(scheduled.jobs.map((j) => j.name)).toEqual(['later']);
  });
});
