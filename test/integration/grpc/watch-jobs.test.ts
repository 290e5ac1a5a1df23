// Delivery over WatchJobs against a real Duetime: consumers built from Dapr's shipped
// scheduler.proto receive triggers (never early), answer SUCCESS or FAILED under the failure
// policy, share an app's triggers round-robin, get staged triggers when they connect, and get
// back the triggers of a stream that was killed with them in flight.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Client } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from '../support.js';
import { daprRuntimeClient, daprSchedulerClient, readValueAny, unary, valueAny, WatchConsumer, within } from './helpers.js';

let node: Node;
let scheduler: Client;
let runtime: Client;
const consumers: WatchConsumer[] = [];

beforeAll(async () => {
  node = await startNode(); // delivery timeout: the default 30 s, far beyond any test step
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

async function consumer(appId: string): Promise<WatchConsumer> {
  const c = new WatchConsumer(scheduler, { appId, acceptJobTypes: ['JOB_TARGET_TYPE_JOB'] });
  consumers.push(c);
  await c.connected();
  return c;
}

const owner = (appId: string) => ({ appId, namespace: 'default', target: { job: {} } });

async function history(appId: string, name: string): Promise<Array<{ attempt: number; outcome: string; scheduledTime: string; detail?: string }>> {
  const res = await node.call('GET', `/v1.0/jobs/${name}/history`, undefined, { 'dapr-app-id': appId });
  expect(res.status).toBe(200);
  return [...res.body.history].reverse(); // oldest first
}

describe('delivery', () => {
  it('a job scheduled over the runtime API reaches the consumer at its due time, not before', async () => {
    const c = await consumer('watcher');
    const dueAt = Date.now() + 1500;
    await unary(runtime, 'ScheduleJobAlpha1', { job: { name: 'on-time', dueTime: new Date(dueAt).toISOString(), data: valueAny({ hello: 'stream' }) } }, { 'dapr-app-id': 'watcher' });
    await c.waitFor(() => c.forJob('on-time').length === 1, 20_000, 'on-time');
    const [trigger] = c.forJob('on-time');
    expect(trigger!.receivedAt).toBeGreaterThanOrEqual(dueAt);
    expect(readValueAny(trigger!.data)).toEqual({ hello: 'stream' });
    expect(trigger!.metadata).toMatchObject({ appId: 'watcher', namespace: 'default', target: { job: {} } });
    expect(trigger!.id).toBe('1'); // the first trigger on this stream
  });

  it('a recurring job scheduled over the scheduler API ticks to the consumer with increasing ids', async () => {
    const c = await consumer('ticker');
    await unary(scheduler, 'ScheduleJob', { name: 'tick', job: { schedule: '@every 300ms', repeats: 3 }, metadata: owner('ticker') });
    await c.waitFor(() => c.forJob('tick').length === 3, 20_000, 'three ticks');
    expect(c.forJob('tick').map((t) => t.id)).toEqual(['1', '2', '3']);
  });
});

describe('failures under the failure policy', () => {
  it('FAILED is retried at the policy\'s interval until maxRetries, then dropped', async () => {
    const c = await consumer('flaky');
    c.answer = () => 'FAILED';
    const dueAt = Date.now() + 500;
    await unary(scheduler, 'ScheduleJob', {
      name: 'always-fails',
      job: { schedule: '@every 1h', dueTime: new Date(dueAt).toISOString(), failurePolicy: { constant: { interval: { seconds: 0, nanos: 300_000_000 }, maxRetries: 2 } } },
      metadata: owner('flaky'),
    });
    await c.waitFor(() => c.forJob('always-fails').length === 3, 20_000, 'three attempts');
    // Each retry is due one interval after the attempt before it was due, and never early.
    const times = c.forJob('always-fails').map((t) => t.receivedAt);
    expect(times[0]).toBeGreaterThanOrEqual(dueAt);
    expect(times[1]).toBeGreaterThanOrEqual(dueAt + 300);
    expect(times[2]).toBeGreaterThanOrEqual(dueAt + 600);
    await expect.poll(async () => (await history('flaky', 'always-fails')).length, { timeout: 20_000 }).toBe(3);
    expect((await history('flaky', 'always-fails')).map((h) => [h.attempt, h.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'dropped'],
    ]);
  });

  it('FAILED then SUCCESS: one retry, then done', async () => {
    const c = await consumer('recovers');
    c.answer = () => (c.forJob('second-time').length === 1 ? 'FAILED' : 'SUCCESS');
    const done = node.duetime.engine.events.once('attempted', (e) => e.trigger.key.name === 'second-time' && e.outcome === 'success');
    await unary(scheduler, 'ScheduleJob', {
      name: 'second-time',
      job: { schedule: '@every 1h', dueTime: '0s', failurePolicy: { constant: { interval: { seconds: 0, nanos: 200_000_000 }, maxRetries: 3 } } },
      metadata: owner('recovers'),
    });
    await within(done, 20_000, 'the successful retry');
    expect((await history('recovers', 'second-time')).map((h) => [h.attempt, h.outcome])).toEqual([
      [1, 'failed'],
      [2, 'success'],
    ]);
  });

  it('a trigger left unanswered counts as failed after the delivery timeout (1 s on this node)', async () => {
    const impatient = await startNode({ deliveryTimeout: '1s' });
    const client = daprSchedulerClient(impatient.duetime.schedulerPort);
    try {
      const c = new WatchConsumer(client, { appId: 'silent' });
      consumers.push(c);
      await c.connected();
      c.answer = (t) => (c.forJob(t.name).length === 1 ? 'none' : 'SUCCESS');
      const done = impatient.duetime.engine.events.once('attempted', (e) => e.trigger.key.name === 'ignored' && e.outcome === 'success');
      await unary(client, 'ScheduleJob', {
        name: 'ignored',
        job: { schedule: '@every 1h', dueTime: '0s', failurePolicy: { constant: { interval: { seconds: 0, nanos: 100_000_000 } } } },
        metadata: owner('silent'),
      });
      await within(done, 20_000, 'the retry after the timeout');
      const [first, second] = c.forJob('ignored');
      // The timer runs from the server's send; receipt times add transit, which can differ by a
      // few ms between the two, hence the slack.
      expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
      const res = await impatient.call('GET', '/v1.0/jobs/ignored/history', undefined, { 'dapr-app-id': 'silent' });
      const entries = [...res.body.history].reverse() as Array<{ outcome: string; detail?: string }>;
      expect(entries.map((h) => h.outcome)).toEqual(['failed', 'success']);
      expect(entries[0]!.detail).toMatch(/no result on the WatchJobs stream within 1000 ms/);
    } finally {
      for (const c of consumers.splice(0)) await c.kill();
      client.close();
      await impatient.close();
    }
  });
});

describe('round-robin', () => {
  it('two consumers of one app share its triggers in turn', async () => {
    const a = await consumer('shared');
    const b = await consumer('shared');
    const dueTime = new Date(Date.now() + 1000).toISOString();
    for (let i = 0; i < 6; i++) await unary(scheduler, 'ScheduleJob', { name: `rr-${i}`, job: { dueTime }, metadata: owner('shared') });
    const total = (): number => a.received.length + b.received.length;
    await Promise.race([a.waitFor(() => total() === 6, 20_000, 'six triggers'), b.waitFor(() => total() === 6, 20_000, 'six triggers')]);
    expect([a.received.length, b.received.length]).toEqual([3, 3]);
    expect(new Set([...a.received, ...b.received].map((t) => t.name)).size).toBe(6);
  });
});

describe('staging and redelivery', () => {
  it('triggers for an app with no consumer wait, then go out when one connects, using no retry', async () => {
    const staged = node.duetime.engine.events.once('staged', (e) => e.key.appId === 'late' && e.key.name === 'waits');
    await unary(runtime, 'ScheduleJobAlpha1', { job: { name: 'waits', schedule: '@every 1h', dueTime: '0s' } }, { 'dapr-app-id': 'late' });
    await within(staged, 20_000, 'the trigger to be staged');
    const c = await consumer('late');
    await c.waitFor(() => c.forJob('waits').length === 1, 20_000, 'the staged trigger');
    await expect.poll(async () => (await history('late', 'waits')).map((h) => [h.attempt, h.outcome]), { timeout: 20_000 }).toEqual([[1, 'success']]);
  });

  it('a stream cancelled with a trigger in flight: the trigger goes to the app\'s other consumer at once', async () => {
    const a = await consumer('pair');
    a.answer = () => 'none';
    const b = await consumer('pair');
    b.answer = () => 'none';
    await unary(scheduler, 'ScheduleJob', { name: 'handoff', job: { schedule: '@every 1h', dueTime: '0s' }, metadata: owner('pair') });
    await Promise.race([a.waitFor(() => a.received.length === 1), b.waitFor(() => b.received.length === 1)]);
    const [holder, other] = a.received.length === 1 ? [a, b] : [b, a];
    other.answer = () => 'SUCCESS';
    await holder.kill();
    await other.waitFor(() => other.forJob('handoff').length === 1, 20_000, 'the handed-off trigger');
    await expect.poll(async () => (await history('pair', 'handoff')).map((h) => [h.attempt, h.outcome]), { timeout: 20_000 }).toEqual([[1, 'success']]);
  });

  it('a consumer process killed -9 with triggers in flight: they are redelivered when a consumer reconnects', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/silent-consumer.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, String(node.duetime.schedulerPort), 'crashy'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    const seen: Array<{ connected?: boolean; name?: string }> = [];
    const wakers = new Set<() => void>();
    lines.on('line', (line) => {
      seen.push(JSON.parse(line) as { connected?: boolean; name?: string });
      for (const wake of wakers) wake();
    });
    const waitLine = (predicate: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (!predicate()) return;
          wakers.delete(check);
          resolve();
        };
        wakers.add(check);
        check();
      });
    try {
      await within(waitLine(() => seen.some((l) => l.connected)), 30_000, 'the consumer process to connect');
      for (const name of ['crash-1', 'crash-2']) {
        await unary(scheduler, 'ScheduleJob', { name, job: { schedule: '@every 1h', dueTime: '0s' }, metadata: owner('crashy') });
      }
      await within(waitLine(() => seen.filter((l) => l.name).length === 2), 20_000, 'the consumer process to receive both triggers');
      const staged = Promise.all(['crash-1', 'crash-2'].map((name) => node.duetime.engine.events.once('staged', (e) => e.key.name === name)));
      child.kill('SIGKILL');
      await within(staged, 20_000, 'both triggers to be staged'); // the server saw the stream die and took both triggers back

      const c = await consumer('crashy');
      await c.waitFor(() => c.received.length === 2, 20_000, 'both triggers again');
      expect(c.received.map((t) => t.name).sort()).toEqual(['crash-1', 'crash-2']);
      for (const name of ['crash-1', 'crash-2']) {
        await expect.poll(async () => (await history('crashy', name)).map((h) => [h.attempt, h.outcome]), { timeout: 20_000 }).toEqual([[1, 'success']]);
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
