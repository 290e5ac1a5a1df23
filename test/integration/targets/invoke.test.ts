// Scheduled service invocation: a job of app "app" calls a method of a second real app,
// registered with PUT /v1.0/apps/{appId}. Outbound only to registered apps.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingReceiver } from '../../../src/testing/recording-receiver.js';
import { startNode, type Node } from '../support.js';
import { dueIn, recordAttempts } from './helpers.js';

let node: Node;
let billing: RecordingReceiver;

beforeAll(async () => {
  node = await startNode();
  billing = await new RecordingReceiver().start();
  const res = await node.call('PUT', '/v1.0/apps/billing', { url: `${billing.url}/api`, token: 'billing-token' });
  expect(res.status).toBe(204);
});

afterAll(async () => {
  await node?.close();
  await billing?.stop();
});

describe('invoke target', () => {
  it('calls the method on the other app at the due time with the data, the trigger headers and the caller', async () => {
    const attempts = recordAttempts(node, 'close-books');
    const { dueTime, dueAt } = dueIn(1000);
    const res = await node.call('POST', '/v1.0/jobs/close-books', { dueTime, data: { month: '2026-11' }, target: { invoke: { appId: 'billing', method: 'books/close', verb: 'put' } } });
    expect(res.status).toBe(204);
    await billing.waitFor(() => billing.received.length === 1);
    const [call] = billing.received;
    expect(call!.method).toBe('PUT');
    expect(call!.path).toBe('/api/books/close');
    expect(JSON.parse(call!.body)).toEqual({ month: '2026-11' });
    expect(call!.headers['content-type']).toBe('application/json');
    expect(call!.headers['dapr-api-token']).toBe('billing-token');
    expect(call!.headers['dapr-caller-app-id']).toBe('app');
    expect(call!.headers['duetime-attempt']).toBe('1');
    expect(call!.scheduledAt).toBe(dueAt);
    expect(call!.receivedAt).toBeGreaterThanOrEqual(dueAt);
    await attempts.waitFor((all) => all.length === 1);
    expect(call!.headers['duetime-trigger-id']).toBe(attempts.attempts[0]!.trigger.triggerId);
    expect(node.receiver.received).toHaveLength(0);
  });

  it('sends GET without a body (POST is the default verb)', async () => {
    billing.received.length = 0;
    await node.call('POST', '/v1.0/jobs/ping', { dueTime: '0s', target: { invoke: { appId: 'billing', method: 'health', verb: 'GET' } } });
    await node.call('POST', '/v1.0/jobs/post', { dueTime: '0s', data: 5, target: { invoke: { appId: 'billing', method: 'count' } } });
    await billing.waitFor(() => billing.received.length === 2);
    const byPath = Object.fromEntries(billing.received.map((r) => [r.path, r]));
    expect(byPath['/api/health']).toMatchObject({ method: 'GET', body: '' });
    expect(byPath['/api/count']).toMatchObject({ method: 'POST', body: '5' });
  });

  it('counts a 404 (no such method on the app) as a failed attempt, retried under the failure policy', async () => {
    billing.received.length = 0;
    billing.respond = (r) => (r.path === '/api/missing' ? { status: 404, body: 'no route' } : { status: 200 });
    const attempts = recordAttempts(node, 'missing');
    await node.call('POST', '/v1.0/jobs/missing', { dueTime: '0s', target: { invoke: { appId: 'billing', method: 'missing' } }, failurePolicy: { constant: { interval: '100ms', maxRetries: 1 } } });
    await attempts.waitFor((all) => all.length === 2);
    expect(attempts.attempts.map((a) => a.outcome)).toEqual(['failed', 'dropped']);
    expect(attempts.attempts[0]!.detail).toBe('invoke app "billing" POST /missing: HTTP 404 (no such route on the app): no route');
    billing.respond = () => ({ status: 200 });
  });

  it('refuses an app that is not registered, listing the registered ones', async () => {
    const res = await node.call('POST', '/v1.0/jobs/nowhere', { dueTime: '1s', target: { invoke: { appId: 'evil.example.com', method: 'x' } } });
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe('DAPR_SCHEDULER_SCHEDULE_JOB');
    expect(res.body.message).toMatch(/^target\.invoke\.appId "evil\.example\.com" is not a registered app in namespace "default"; registered apps: app, billing/);
    const badMethod = await node.call('POST', '/v1.0/jobs/nowhere', { dueTime: '1s', target: { invoke: { appId: 'billing', method: '../admin' } } });
    expect(badMethod.status).toBe(400);
    const badVerb = await node.call('POST', '/v1.0/jobs/nowhere', { dueTime: '1s', target: { invoke: { appId: 'billing', method: 'x', verb: 'TRACE' } } });
    expect(badVerb.status).toBe(400);
  });

  it('fails the attempt when the app was unregistered after scheduling', async () => {
    const other = await new RecordingReceiver().start();
    await node.call('PUT', '/v1.0/apps/temp', { url: other.url });
    const attempts = recordAttempts(node, 'gone');
    await node.call('POST', '/v1.0/jobs/gone', { dueTime: '300ms', target: { invoke: { appId: 'temp', method: 'x' } }, failurePolicy: { drop: {} } });
    await node.call('DELETE', '/v1.0/apps/temp');
    await attempts.waitFor((all) => all.length === 1);
    expect(attempts.attempts[0]).toMatchObject({ outcome: 'dropped', detail: 'invoke app "temp" POST /x: app "temp" is not registered in namespace "default"' });
    expect(other.received).toHaveLength(0);
    await other.stop();
  });
});
