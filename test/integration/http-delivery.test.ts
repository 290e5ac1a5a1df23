// Jobs scheduled over the real HTTP API, stored in a real SQLite file, delivered over real HTTP
// to a real receiving app. Every test checks that nothing arrived early.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

let node: Node;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node.close();
});
afterEach(() => {
  expect(node.receiver.earlyDeliveries()).toEqual([]);
  node.receiver.respond = () => ({ status: 200 });
});

describe('delivery to the app over HTTP', () => {
  it('delivers a one-shot job with Dapr\'s request shape and Duetime\'s headers, not early', async () => {
    const before = Date.now();
    const res = await node.call('POST', '/v1.0-alpha1/jobs/one', { dueTime: '300ms', data: { value: 'hello' } });
    expect(res.status).toBe(204);
    await node.receiver.waitFor(() => node.receiver.forJob('one').length === 1);
    const [got] = node.receiver.forJob('one');
    expect(got!.method).toBe('POST');
    expect(got!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got!.body)).toEqual({ value: 'hello' });
    expect(got!.headers['duetime-attempt']).toBe('1');
    expect(got!.headers['duetime-trigger-id']).toMatch(/\S+/);
    expect(got!.scheduledAt! - before).toBeGreaterThanOrEqual(300);
    expect(got!.receivedAt).toBeGreaterThanOrEqual(got!.scheduledAt!);
    // A finished one-shot job leaves a tombstone (--tombstone-ttl): completed, with its outcome.
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/one')).body?.status?.state).toBe('completed');
    expect((await node.call('GET', '/v1.0/jobs/one/history')).body.history).toMatchObject([{ outcome: 'success', attempt: 1 }]);
  });

  it('repeats @every with repeats, then the job is completed', async () => {
    await node.call('POST', '/v1.0/jobs/every', { schedule: '@every 200ms', repeats: 3, data: 'tick' });
    await node.receiver.waitFor(() => node.receiver.forJob('every').length === 3);
    const got = node.receiver.forJob('every');
    const gaps = got.slice(1).map((r, i) => r.scheduledAt! - got[i]!.scheduledAt!);
    expect(gaps).toEqual([200, 200]);
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/every')).body?.status?.state).toBe('completed');
    expect(node.receiver.forJob('every')).toHaveLength(3);
  });

  it('runs a 6-field cron on whole seconds', async () => {
    await node.call('POST', '/v1.0/jobs/cron', { schedule: '* * * * * *', repeats: 2 });
    await node.receiver.waitFor(() => node.receiver.forJob('cron').length === 2, 10_000);
    for (const r of node.receiver.forJob('cron')) expect(r.scheduledAt! % 1000).toBe(0);
  });

  it('stops at the ttl', async () => {
    await node.call('POST', '/v1.0/jobs/ttl', { schedule: '@every 200ms', ttl: '700ms' });
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/ttl')).body?.status?.state, { timeout: 10_000 }).toBe('completed');
    expect(node.receiver.forJob('ttl').length).toBe(3);
  });

  it('default failure policy: 4 attempts a tick, 1 s apart', async () => {
    node.receiver.respond = (r) => (r.path === '/job/fails' ? { status: 500 } : { status: 200 });
    await node.call('POST', '/v1.0/jobs/fails', { dueTime: '10ms' });
    await node.receiver.waitFor(() => node.receiver.forJob('fails').length === 4, 15_000);
    const got = node.receiver.forJob('fails');
    expect(got.map((r) => r.headers['duetime-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(new Set(got.map((r) => r.headers['duetime-trigger-id'])).size).toBe(1);
    // Retry i is due at the tick's scheduled time plus i intervals (each retry is due at the
    // failed attempt's due instant plus the interval, not at its arrival, which load can delay).
    const tickAt = Date.parse(String(got[0]!.headers['duetime-scheduled-time']));
    for (let i = 1; i < got.length; i++) expect(got[i]!.receivedAt).toBeGreaterThanOrEqual(tickAt + i * 1000);
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/fails')).body?.status?.state).toBe('failed');
    expect(node.receiver.forJob('fails')).toHaveLength(4);
  });

  it('constant policy with maxRetries and drop policy', async () => {
    node.receiver.respond = () => ({ status: 503 });
    await node.call('POST', '/v1.0/jobs/const', { dueTime: '10ms', failurePolicy: { constant: { interval: '100ms', maxRetries: 2 } } });
    await node.call('POST', '/v1.0/jobs/drop', { dueTime: '10ms', failurePolicy: { drop: {} } });
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/const')).body?.status?.state).toBe('failed');
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/drop')).body?.status?.state).toBe('failed');
    expect(node.receiver.forJob('const')).toHaveLength(3);
    expect(node.receiver.forJob('drop')).toHaveLength(1);
  });

  it('exponential policy grows its interval', async () => {
    node.receiver.respond = () => ({ status: 500 });
    await node.call('POST', '/v1.0/jobs/exp', {
      dueTime: '10ms',
      failurePolicy: { exponential: { initialInterval: '100ms', maxInterval: '1s', multiplier: 3, maxRetries: 2 } },
    });
    await node.receiver.waitFor(() => node.receiver.forJob('exp').length === 3);
    // Due instants: the tick, then +100 ms, then +300 ms more (multiplier 3), each counted from
    // the previous attempt's due instant, never from its arrival (which load can delay).
    const got = node.receiver.forJob('exp');
    const tickAt = Date.parse(String(got[0]!.headers['duetime-scheduled-time']));
    expect(got.map((r) => r.headers['duetime-attempt'])).toEqual(['1', '2', '3']);
    expect(got[0]!.receivedAt).toBeGreaterThanOrEqual(tickAt);
    expect(got[1]!.receivedAt).toBeGreaterThanOrEqual(tickAt + 100);
    expect(got[2]!.receivedAt).toBeGreaterThanOrEqual(tickAt + 400);
  });

  it('a 404 from the app is done, never retried', async () => {
    node.receiver.respond = () => ({ status: 404 });
    await node.call('POST', '/v1.0/jobs/nf', { dueTime: '10ms' });
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/nf')).body?.status?.state).toBe('completed');
    expect(node.receiver.forJob('nf')).toHaveLength(1);
  });

  it('a job deleted before its trigger is never delivered', async () => {
    await node.call('POST', '/v1.0/jobs/del', { dueTime: '1s' });
    expect((await node.call('DELETE', '/v1.0/jobs/del')).status).toBe(204);
    expect((await node.call('DELETE', '/v1.0/jobs/del')).status).toBe(204);
    await node.call('POST', '/v1.0/jobs/marker', { dueTime: '1500ms' });
    await node.receiver.waitFor(() => node.receiver.forJob('marker').length === 1);
    expect(node.receiver.forJob('del')).toHaveLength(0);
  });

  it('pause holds a job; resume and trigger-now deliver', async () => {
    await node.call('POST', '/v1.0/jobs/pz', { schedule: '@every 1h' });
    const paused = await node.call('POST', '/v1.0/jobs/pz/pause');
    expect(paused.status).toBe(200);
    expect(paused.body.status.state).toBe('paused');
    const resumed = await node.call('POST', '/v1.0/jobs/pz/resume');
    expect(resumed.body.status.state).toBe('active');
    expect((await node.call('POST', '/v1.0/jobs/pz/trigger')).status).toBe(200);
    await node.receiver.waitFor(() => node.receiver.forJob('pz').length === 1);
    const history = await node.call('GET', '/v1.0/jobs/pz/history');
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/pz/history')).body.history.length).toBe(1);
    expect(history.status).toBe(200);
    await node.call('DELETE', '/v1.0/jobs/pz');
  });

  it('stages triggers of an app with no endpoint and delivers once it registers', async () => {
    await node.call('POST', '/v1.0/jobs/staged', { dueTime: '10ms', data: 7 }, { 'dapr-app-id': 'late-app' });
    await new Promise((r) => setTimeout(r, 300));
    const view = await node.call('GET', '/v1.0/jobs/staged', undefined, { 'dapr-app-id': 'late-app' });
    expect(view.status).toBe(200);
    expect(view.body.status.attempts).toBe(0);
    const reg = await node.call('PUT', '/v1.0/apps/late-app', { url: node.receiver.url });
    expect(reg.status).toBe(204);
    await node.receiver.waitFor(() => node.receiver.forJob('staged').length === 1);
    expect(node.receiver.forJob('staged')[0]!.body).toBe('7');
  });
});
