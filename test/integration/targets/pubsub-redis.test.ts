// Pub/sub targets end to end on Redis Streams: a job with a pubsub target, Dapr's publish API
// (now, metadata.delay, metadata.scheduledSendTime), and Redis stopped mid-test while a job is
// retrying. A plain Redis client reads the stream as a subscriber would.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { expectCloudEvent } from '../components/helpers.js';
import { dueIn, recordAttempts, startTargetNode, waitForReadyz, type TargetNode } from './helpers.js';

let server: LoopbackServer;
let node: TargetNode;
let reader: Redis;

/** Blocks until entries after `fromId` arrive on the stream; returns them with the arrival time. */
async function readStream(topic: string, fromId = '0'): Promise<{ at: number; entries: Array<{ id: string; data: string; metadata?: string }> }> {
  const reply = (await reader.xread('BLOCK', 20_000, 'STREAMS', topic, fromId)) ?? [];
  const at = Date.now();
  const entries = (reply[0]?.[1] ?? []).map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return { id, data: fields.data!, ...(fields.metadata !== undefined ? { metadata: fields.metadata } : {}) };
  });
  return { at, entries };
}

async function streamLength(topic: string): Promise<number> {
  return reader.xlen(topic);
}

beforeAll(async () => {
  server = await startRedis();
  node = await startTargetNode(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.redis
  version: v1
  metadata:
    - name: redisHost
      value: "127.0.0.1:${server.port}"
    - name: connectTimeout
      value: 500ms
    - name: operationTimeout
      value: 1s
`);
  reader = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  reader.on('error', () => undefined);
  await reader.connect();
  await waitForReadyz(node, (status) => status === 200);
});

afterAll(async () => {
  reader?.disconnect();
  await node?.close();
  await server?.stop();
});

describe('pubsub target on pubsub.redis', () => {
  it('publishes exactly the CloudEvent with the data at the due time, not early', async () => {
    const attempts = recordAttempts(node, 'order-reminder');
    const { dueTime, dueAt } = dueIn(1500);
    const read = readStream('orders');
    const res = await node.call('POST', '/v1.0/jobs/order-reminder', { dueTime, data: { order: 7, lines: ['a', 'b'] }, target: { pubsub: { name: 'events', topic: 'orders' } } });
    expect(res.status).toBe(204);
    const { at, entries } = await read;
    expect(entries).toHaveLength(1);
    expect(at).toBeGreaterThanOrEqual(dueAt);
    await attempts.waitFor((all) => all.some((a) => a.outcome === 'success'));
    const trigger = attempts.attempts[0]!.trigger;
    expect(trigger.scheduledAt).toBe(dueAt);
    expectCloudEvent(entries[0]!.data, { id: trigger.triggerId, source: 'app', topic: 'orders', pubsubname: 'events', data: { order: 7, lines: ['a', 'b'] } });
    expect(Date.parse(JSON.parse(entries[0]!.data).time)).toBeGreaterThanOrEqual(dueAt);
    expect(node.receiver.received).toHaveLength(0); // the app is not called
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/order-reminder')).body?.status?.state).toBe('completed');
  });

  it('carries the traceparent and tracestate the job was scheduled with as CloudEvent attributes', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const read = readStream('traced');
    const res = await node.call('POST', '/v1.0/jobs/traced-publish', { dueTime: '100ms', data: 1, target: { pubsub: { name: 'events', topic: 'traced' } } }, { traceparent, tracestate: 'rojo=1' });
    expect(res.status).toBe(204);
    const { entries } = await read;
    expect(JSON.parse(entries[0]!.data)).toMatchObject({ traceparent, traceid: traceparent, tracestate: 'rojo=1', data: 1 });
  });

  it('shows the target on GET and refuses an unknown pub/sub component, naming it and the known ones', async () => {
    await node.call('POST', '/v1.0/jobs/later', { dueTime: '1h', target: { pubsub: { name: 'events', topic: 't', metadata: { ttlInSeconds: '60' } } } });
    const got = await node.call('GET', '/v1.0/jobs/later');
    expect(got.body.target).toEqual({ pubsub: { name: 'events', topic: 't', metadata: { ttlInSeconds: '60' } } });
    await node.call('DELETE', '/v1.0/jobs/later');

    const res = await node.call('POST', '/v1.0/jobs/bad', { dueTime: '1s', target: { pubsub: { name: 'nope', topic: 't' } } });
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe('DAPR_SCHEDULER_SCHEDULE_JOB');
    expect(res.body.message).toBe('target.pubsub.name "nope" is not a pub/sub component; known pub/sub components: events');
    const noTopic = await node.call('POST', '/v1.0/jobs/bad', { dueTime: '1s', target: { pubsub: { name: 'events' } } });
    expect(noTopic.status).toBe(400);
    expect(noTopic.body.message).toMatch(/target\.pubsub\.topic is required/);
  });
});

describe('POST /v1.0/publish/{pubsub}/{topic}', () => {
  it('publishes now (204), with the caller as source and other metadata.* passed on', async () => {
    const read = readStream('now');
    const res = await node.call('POST', '/v1.0/publish/events/now?metadata.rawPayload=true', { hello: 'world' }, { 'dapr-app-id': 'shop' });
    expect(res.status).toBe(204);
    const { entries } = await read;
    expect(entries).toEqual([{ id: expect.any(String), data: '{"hello":"world"}', metadata: '{"rawPayload":"true"}' }]);

    const read2 = readStream('now', entries[0]!.id);
    expect((await node.call('POST', '/v1.0/publish/events/now', { n: 2 }, { 'dapr-app-id': 'shop' })).status).toBe(204);
    const event = JSON.parse((await read2).entries[0]!.data);
    expect(event).toMatchObject({ source: 'shop', topic: 'now', pubsubname: 'events', data: { n: 2 } });
  });

  it('passes the caller\'s traceparent and tracestate on, published now or delayed', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const headers = { 'dapr-app-id': 'traced-shop', traceparent, tracestate: 'congo=t61rcWkgMzE' }; // its own app: the delay test counts shop's jobs
    const now = readStream('traced-now');
    expect((await node.call('POST', '/v1.0/publish/events/traced-now', { n: 1 }, headers)).status).toBe(204);
    expect(JSON.parse((await now).entries[0]!.data)).toMatchObject({ traceparent, tracestate: 'congo=t61rcWkgMzE', data: { n: 1 } });
    const later = readStream('traced-later');
    expect((await node.call('POST', '/v1.0/publish/events/traced-later?metadata.delay=200ms', { n: 2 }, headers)).status).toBe(204);
    expect(JSON.parse((await later).entries[0]!.data)).toMatchObject({ traceparent, tracestate: 'congo=t61rcWkgMzE', data: { n: 2 } });
  });

  it('delays a publish with metadata.delay: a one-shot job of the caller, published at its time', async () => {
    const before = Date.now();
    const read = readStream('delayed');
    const res = await node.call('POST', '/v1.0/publish/events/delayed?metadata.delay=1500ms&metadata.tenant=acme', { order: 1 }, { 'dapr-app-id': 'shop' });
    expect(res.status).toBe(204);
    const jobName = (await fetch(`${node.duetime.httpUrl}/v1.0/publish/events/unused?metadata.delay=1h`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '1' })).headers.get('duetime-job-name');
    expect(jobName).toMatch(/^publish-[0-9a-f-]{36}$/);
    const list = await node.call('GET', '/v1.0/jobs?prefix=publish-', undefined, { 'dapr-app-id': 'shop' });
    expect(list.body.jobs).toHaveLength(1);
    expect(list.body.jobs[0]).toMatchObject({ data: { order: 1 }, target: { pubsub: { name: 'events', topic: 'delayed', metadata: { tenant: 'acme' } } } });
    const { at, entries } = await read;
    expect(at - before).toBeGreaterThanOrEqual(1500);
    expect(entries).toHaveLength(1);
    expect(JSON.parse(entries[0]!.metadata!)).toEqual({ tenant: 'acme' });
    expect(JSON.parse(entries[0]!.data)).toMatchObject({ source: 'shop', topic: 'delayed', data: { order: 1 } });
    await node.call('DELETE', `/v1.0/jobs/${jobName}`);
  });

  it('delays a publish with metadata.scheduledSendTime (RFC3339), not early', async () => {
    const { dueTime, dueAt } = dueIn(1200);
    const read = readStream('at-time');
    const res = await fetch(`${node.duetime.httpUrl}/v1.0/publish/events/at-time?metadata.scheduledSendTime=${encodeURIComponent(dueTime)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ at: dueTime }),
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('duetime-scheduled-time')).toBe(dueTime);
    const { at, entries } = await read;
    expect(at).toBeGreaterThanOrEqual(dueAt);
    const event = JSON.parse(entries[0]!.data);
    expect(event.data).toEqual({ at: dueTime });
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(dueAt);
  });

  it('answers 400 for an unknown pub/sub or bad timing metadata', async () => {
    const unknown = await node.call('POST', '/v1.0/publish/nope/t', {});
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ errorCode: 'ERR_PUBSUB_NOT_FOUND', message: 'pubsubname "nope" is not a pub/sub component; known pub/sub components: events' });
    const badDelay = await node.call('POST', '/v1.0/publish/events/t?metadata.delay=soon', {});
    expect(badDelay.status).toBe(400);
    expect(badDelay.body.message).toMatch(/metadata\.delay "soon"/);
    const badTime = await node.call('POST', '/v1.0/publish/events/t?metadata.scheduledSendTime=tomorrow', {});
    expect(badTime.status).toBe(400);
    const both = await node.call('POST', '/v1.0/publish/events/t?metadata.scheduledSendTime=2030-01-01T00:00:00Z&metadata.delay=1s', {});
    expect(both.status).toBe(400);
  });
});

describe('Redis stopped mid-test', () => {
  it('fails the attempts while down, shows it in /readyz, and publishes on a retry once back: nothing lost', async () => {
    const name = 'survives-outage';
    const attempts = recordAttempts(node, name);
    const before = await streamLength('outage');
    await server.down();
    const down = await waitForReadyz(node, (status) => status === 503);
    expect(down.body.checks['component:events']).toMatchObject({ ok: false });
    expect(down.body.checks['component:events']?.detail).toMatch(/^pubsub\.redis unavailable/);

    const { dueTime } = dueIn(100);
    const res = await node.call('POST', `/v1.0/jobs/${name}`, {
      dueTime,
      data: { must: 'arrive' },
      target: { pubsub: { name: 'events', topic: 'outage' } },
      failurePolicy: { constant: { interval: '500ms', maxRetries: 100 } },
    });
    expect(res.status).toBe(204);
    await attempts.waitFor((all) => all.filter((a) => a.outcome === 'failed').length >= 2, 30_000, 'two failed attempts');
    expect(attempts.attempts.every((a) => a.outcome === 'failed')).toBe(true);
    expect(attempts.attempts[0]!.detail).toMatch(/pubsub "events"/);
    const history = await node.call('GET', `/v1.0/jobs/${name}/history`);
    expect(history.body.history[0]).toMatchObject({ outcome: 'failed' });

    await server.up();
    await attempts.waitFor((all) => all.some((a) => a.outcome === 'success'), 30_000, 'a successful retry');
    await waitForReadyz(node, (status) => status === 200);
    await reader.connect().catch(() => undefined);
    await expect.poll(() => reader.status, { timeout: 10_000 }).toBe('ready');
    expect(await streamLength('outage')).toBe(before + 1);
    const { entries } = await readStream('outage');
    const success = attempts.attempts.find((a) => a.outcome === 'success')!;
    expect(success.trigger.attempt).toBeGreaterThan(2);
    // Every attempt of the tick carries the same id, so a subscriber can drop duplicates.
    expect(new Set(attempts.attempts.map((a) => a.trigger.triggerId)).size).toBe(1);
    expectCloudEvent(entries.at(-1)!.data, { id: success.trigger.triggerId, source: 'app', topic: 'outage', pubsubname: 'events', data: { must: 'arrive' } });
  });

  it('answers 503 to a publish-now while Redis is down', async () => {
    await server.down();
    await waitForReadyz(node, (status) => status === 503);
    const res = await node.call('POST', '/v1.0/publish/events/x', { n: 1 });
    expect(res.status).toBe(503);
    expect(res.body.errorCode).toBe('ERR_PUBSUB_PUBLISH_MESSAGE');
    expect(res.body.message).toMatch(/pub\/sub "events" topic "x"/);
    await server.up();
    await waitForReadyz(node, (status) => status === 200);
  });
});
