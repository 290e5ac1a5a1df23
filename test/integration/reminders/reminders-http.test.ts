// Actor reminders over the real HTTP API, stored in SQLite, delivered over real HTTP to real
// receiving apps. The default app ("app") hosts actor type Clock by its GET /dapr/config; other
// apps declare their types when they register. Every test checks that nothing arrived early.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RecordingReceiver, type Received, type Reply } from '../../../src/testing/recording-receiver.js';
import { startNode, type Node } from '../support.js';

let node: Node;
const extraReceivers: RecordingReceiver[] = [];

const hostsClock = (request: Received): Reply | undefined =>
  request.path === '/dapr/config' ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entities: ['Clock'] }) } : undefined;
const defaultRespond = (request: Received): Reply => hostsClock(request) ?? { status: 200 };

beforeAll(async () => {
  node = await startNode();
  node.receiver.respond = defaultRespond;
});
afterAll(async () => {
  await node.close();
  for (const receiver of extraReceivers) await receiver.stop();
});
afterEach(() => {
  expect(node.receiver.earlyDeliveries()).toEqual([]);
  for (const receiver of extraReceivers) expect(receiver.earlyDeliveries()).toEqual([]);
  node.receiver.respond = defaultRespond;
});

const path = (type: string, id: string, name = '') => `/v1.0/actors/${encodeURIComponent(type)}/${encodeURIComponent(id)}/reminders${name ? `/${encodeURIComponent(name)}` : ''}`;
const calls = (receiver: RecordingReceiver, type: string, id: string, name: string) =>
  receiver.received.filter((r) => r.path === `/actors/${encodeURIComponent(type)}/${encodeURIComponent(id)}/method/remind/${encodeURIComponent(name)}`);
const clockCalls = (id: string, name: string) => calls(node.receiver, 'Clock', id, name);
const scheduledGaps = (received: Received[]) => received.slice(1).map((r, i) => r.scheduledAt! - received[i]!.scheduledAt!);

async function startReceiver(): Promise<RecordingReceiver> {
  const receiver = await new RecordingReceiver().start();
  extraReceivers.push(receiver);
  return receiver;
}

describe('reminder periods over HTTP', () => {
  it('R3/PT1S: three ticks one second apart, then the reminder is gone', async () => {
    const res = await node.call('POST', path('Clock', 'r3', 'tick'), { dueTime: '0s', period: 'R3/PT1S' });
    expect(res.status).toBe(204);
    await node.receiver.waitFor(() => clockCalls('r3', 'tick').length === 3, 20_000, 'three ticks');
    expect(scheduledGaps(clockCalls('r3', 'tick'))).toEqual([1000, 1000]);
    await expect.poll(async () => (await node.call('GET', path('Clock', 'r3', 'tick'))).status, { timeout: 10_000 }).toBe(404);
    expect(clockCalls('r3', 'tick')).toHaveLength(3);
  });

  // The four forms at once (each waits two real seconds for its ticks): their reminders differ,
  // and the gaps are read from the scheduled instants, which a busy neighbour does not move.
  it.concurrent.for<[string, string]>([
    ['Go duration', '1s'],
    ['@every', '@every 1s'],
    ['6-field cron', '* * * * * *'],
    ['ISO 8601', 'PT1S'],
  ])('%s period (%s): ticks a second apart until deleted', async ([, period], { expect }) => {
    const id = `form-${period.replace(/\W/g, '')}`;
    expect((await node.call('PUT', path('Clock', id, 'tick'), { period })).status).toBe(204);
    await node.receiver.waitFor(() => clockCalls(id, 'tick').length >= 2, 20_000, `two ticks of ${period}`);
    expect((await node.call('DELETE', path('Clock', id, 'tick'))).status).toBe(204);
    const got = clockCalls(id, 'tick');
    for (const gap of scheduledGaps(got)) expect(gap).toBe(1000);
    // Without dueTime the first tick is one period (or the next cron second) after creation.
    const body = JSON.parse(got[0]!.body);
    expect(body).toEqual({ data: null, dueTime: '', period });
  });
});

describe('reminder delivery', () => {
  it("calls PUT /actors/{type}/{id}/method/remind/{name} with Dapr's body and Duetime's headers; data round-trips", async () => {
    const before = Date.now();
    const data = { order: 42, items: ['a', 'b'], nested: { ok: true } };
    expect((await node.call('POST', path('Clock', 'data', 'once'), { dueTime: '300ms', data })).status).toBe(204);
    await node.receiver.waitFor(() => clockCalls('data', 'once').length === 1);
    const [got] = clockCalls('data', 'once');
    expect(got!.method).toBe('PUT');
    expect(got!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got!.body)).toEqual({ data, dueTime: '300ms', period: '' });
    expect(got!.headers['duetime-attempt']).toBe('1');
    expect(got!.headers['duetime-trigger-id']).toMatch(/\S+/);
    expect(got!.scheduledAt! - before).toBeGreaterThanOrEqual(300);
    // A one-shot reminder is gone once delivered.
    await expect.poll(async () => (await node.call('GET', path('Clock', 'data', 'once'))).status).toBe(404);
  });

  it('X-DaprReminderCancel: true ends the reminder', async () => {
    node.receiver.respond = (request) => {
      const config = hostsClock(request);
      if (config) return config;
      const n = clockCalls('cancel', 'tick').length;
      return n >= 2 ? { status: 200, headers: { 'X-DaprReminderCancel': 'true' } } : { status: 200 };
    };
    expect((await node.call('POST', path('Clock', 'cancel', 'tick'), { dueTime: '0s', period: '300ms' })).status).toBe(204);
    await node.receiver.waitFor(() => clockCalls('cancel', 'tick').length === 2);
    await expect.poll(async () => (await node.call('GET', path('Clock', 'cancel', 'tick'))).status, { timeout: 10_000 }).toBe(404);
    // Three more periods pass: nothing else arrives.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(clockCalls('cancel', 'tick')).toHaveLength(2);
  });

  it('retries a failing actor under the default failure policy, with the same trigger id', async () => {
    node.receiver.respond = (request) => hostsClock(request) ?? (clockCalls('flaky', 'once').length < 2 ? { status: 500 } : { status: 200 });
    await node.call('POST', path('Clock', 'flaky', 'once'), { dueTime: '0s' });
    await node.receiver.waitFor(() => clockCalls('flaky', 'once').length === 2);
    const [first, second] = clockCalls('flaky', 'once');
    expect(first!.headers['duetime-attempt']).toBe('1');
    expect(second!.headers['duetime-attempt']).toBe('2');
    expect(second!.headers['duetime-trigger-id']).toBe(first!.headers['duetime-trigger-id']);
    expect(second!.receivedAt - first!.scheduledAt!).toBeGreaterThanOrEqual(1000);
  });

  it('goes to an app that declared the type at registration when the owner does not host it', async () => {
    const host = await startReceiver();
    expect((await node.call('PUT', '/v1.0/apps/declared-host', { url: host.url, actorTypes: ['Declared'] })).status).toBe(204);
    expect((await node.call('POST', path('Declared', 'd1', 'ping'), { dueTime: '100ms', data: 'hi' })).status).toBe(204);
    await host.waitFor(() => calls(host, 'Declared', 'd1', 'ping').length === 1);
    expect(JSON.parse(calls(host, 'Declared', 'd1', 'ping')[0]!.body)).toEqual({ data: 'hi', dueTime: '100ms', period: '' });
    expect(calls(node.receiver, 'Declared', 'd1', 'ping')).toHaveLength(0);
  });

  it('waits (staged) while no app hosts the type, and fires once one registers', async () => {
    expect((await node.call('POST', path('Late', 'l1', 'wake'), { dueTime: '0s' })).status).toBe(204);
    // Staged: the store holds the tick in its staged index, unfinished, with no retry used up.
    await expect.poll(async () => (await node.call('GET', '/metrics')).text.match(/^duetime_staged_triggers\{[^}]*\} (\d+)$/m)?.[1], { timeout: 20_000 }).toBe('1');
    expect((await node.call('GET', path('Late', 'l1', 'wake'))).body.status).toMatchObject({ count: 0, attempts: 0 });
    const host = await startReceiver();
    host.respond = (request) =>
      request.path === '/dapr/config' ? { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entities: ['Late'] }) } : { status: 200 };
    expect((await node.call('PUT', '/v1.0/apps/late-host', { url: host.url })).status).toBe(204);
    await host.waitFor(() => calls(host, 'Late', 'l1', 'wake').length === 1, 20_000, 'the staged reminder');
    await expect.poll(async () => (await node.call('GET', path('Late', 'l1', 'wake'))).status).toBe(404);
  });
});

describe('reminder API', () => {
  it("GET shows Dapr's reminder fields as sent, plus status", async () => {
    const body = { dueTime: '1h', period: 'P1M', ttl: 'P1Y', data: { x: 1 } };
    expect((await node.call('POST', path('Clock', 'get', 'monthly'), body)).status).toBe(204);
    const res = await node.call('GET', path('Clock', 'get', 'monthly'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ actorType: 'Clock', actorID: 'get', name: 'monthly', ...body, status: { count: 0, attempts: 0, state: 'active' } });
    const due = Date.parse(res.body.status.nextTrigger);
    expect(due - Date.now()).toBeGreaterThan(3_500_000);
    expect(new Date(res.body.expirationTime).getUTCFullYear() - new Date(due).getUTCFullYear()).toBe(1);
  });

  it('GET of a missing reminder is 404; DELETE is 204 whether or not it exists', async () => {
    const missing = await node.call('GET', path('Clock', 'x', 'nope'));
    expect(missing.status).toBe(404);
    expect(missing.body.errorCode).toBe('ERR_ACTOR_REMINDER_GET');
    expect((await node.call('DELETE', path('Clock', 'x', 'nope'))).status).toBe(204);
    await node.call('POST', path('Clock', 'x', 'yes'), { dueTime: '1h' });
    expect((await node.call('DELETE', path('Clock', 'x', 'yes'))).status).toBe(204);
    expect((await node.call('GET', path('Clock', 'x', 'yes'))).status).toBe(404);
  });

  it("lists one actor's reminders; the jobs API does not show them", async () => {
    await node.call('POST', path('Clock', 'list', 'a'), { dueTime: '1h' });
    await node.call('PUT', path('Clock', 'list', 'b|c%d'), { dueTime: '1h', period: '10m' });
    await node.call('POST', path('Clock', 'list2', 'other'), { dueTime: '1h' });
    const res = await node.call('GET', path('Clock', 'list'));
    expect(res.status).toBe(200);
    expect(res.body.reminders.map((r: { name: string }) => r.name)).toEqual(['a', 'b|c%d']);
    expect(res.body.reminders[1]).toMatchObject({ actorType: 'Clock', actorID: 'list', period: '10m' });
    expect((await node.call('GET', path('Clock', 'nobody'))).body).toEqual({ reminders: [] });
    const jobs = await node.call('GET', '/v1.0/jobs');
    expect(jobs.body.jobs.filter((j: { name: string }) => j.name.includes('Clock'))).toEqual([]);
    expect((await node.call('GET', `/v1.0/jobs/${encodeURIComponent('Clock||list||a')}`)).status).toBe(404);
  });

  it('overwrites by default; overwrite false refuses an existing name', async () => {
    expect((await node.call('POST', path('Clock', 'ow', 'r'), { dueTime: '1h', data: 1 })).status).toBe(204);
    expect((await node.call('POST', path('Clock', 'ow', 'r'), { dueTime: '2h', data: 2 })).status).toBe(204);
    expect((await node.call('GET', path('Clock', 'ow', 'r'))).body).toMatchObject({ dueTime: '2h', data: 2 });
    const refused = await node.call('POST', path('Clock', 'ow', 'r'), { dueTime: '3h', overwrite: false });
    expect(refused.status).toBe(409);
    expect((await node.call('GET', path('Clock', 'ow', 'r'))).body.dueTime).toBe('2h');
  });

  it("keeps each app's reminders to itself", async () => {
    await node.call('POST', path('Clock', 'mine', 'r'), { dueTime: '1h' }, { 'dapr-app-id': 'app-a' });
    expect((await node.call('GET', path('Clock', 'mine', 'r'), undefined, { 'dapr-app-id': 'app-a' })).status).toBe(200);
    expect((await node.call('GET', path('Clock', 'mine', 'r'), undefined, { 'dapr-app-id': 'app-b' })).status).toBe(404);
    expect((await node.call('GET', path('Clock', 'mine'), undefined, { 'dapr-app-id': 'app-b' })).body).toEqual({ reminders: [] });
  });

  it.each([
    [{ period: 'often' }, 'period'],
    [{ period: '0 * * * *' }, 'period'],
    [{ dueTime: 'tomorrow' }, 'dueTime'],
    [{ peroid: '1s' }, 'peroid'],
  ])('rejects %j with 400', async (body, field) => {
    const res = await node.call('POST', path('Clock', 'bad', 'r'), body);
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe('ERR_ACTOR_REMINDER_CREATE');
    expect(res.body.details.at(-1).field_violations[0].field).toBe(field);
  });

  it('rejects a body that is not JSON', async () => {
    expect((await node.call('POST', path('Clock', 'bad', 'r'), '{nope')).status).toBe(400);
  });
});
