// An output binding target: bindings.http sends the job's data to a real HTTP receiver at the
// due time, with the operation's method, the path metadata and other metadata as headers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingReceiver } from '../../../src/testing/recording-receiver.js';
import { webhookBindingYaml } from '../components/helpers.js';
import { dueIn, recordAttempts, startTargetNode, type TargetNode } from './helpers.js';

let hooks: RecordingReceiver;
let node: TargetNode;

beforeAll(async () => {
  hooks = await new RecordingReceiver().start();
  node = await startTargetNode(webhookBindingYaml(`${hooks.url}/hooks`, { securityToken: 's3cret', securityTokenHeader: 'X-Token' }));
});

afterAll(async () => {
  await node?.close();
  await hooks?.stop();
});

describe('binding target on bindings.http', () => {
  it('invokes the binding at the due time with the data, not early', async () => {
    const attempts = recordAttempts(node, 'notify');
    const { dueTime, dueAt } = dueIn(1000);
    const res = await node.call('POST', '/v1.0/jobs/notify', {
      dueTime,
      data: { text: 'invoice due' },
      target: { binding: { name: 'webhook', operation: 'create', metadata: { path: '/invoices', 'X-Tenant': 'acme' } } },
    });
    expect(res.status).toBe(204);
    await hooks.waitFor(() => hooks.received.length === 1);
    const [got] = hooks.received;
    expect(got!.receivedAt).toBeGreaterThanOrEqual(dueAt);
    expect(got!.method).toBe('POST');
    expect(got!.path).toBe('/hooks/invoices');
    expect(got!.headers['x-token']).toBe('s3cret');
    expect(got!.headers['x-tenant']).toBe('acme');
    expect(JSON.parse(got!.body)).toEqual({ text: 'invoice due' });
    await attempts.waitFor((all) => all.length === 1);
    expect(attempts.attempts[0]).toMatchObject({ outcome: 'success', detail: 'binding webhook create: HTTP 200' });
  });

  it('counts a non-2xx answer as a failed attempt, and refuses unknown bindings and operations', async () => {
    hooks.respond = () => ({ status: 503, body: 'busy' });
    const attempts = recordAttempts(node, 'busy');
    await node.call('POST', '/v1.0/jobs/busy', { dueTime: '0s', data: 1, target: { binding: { name: 'webhook', operation: 'post' } }, failurePolicy: { drop: {} } });
    await attempts.waitFor((all) => all.length === 1);
    expect(attempts.attempts[0]!.outcome).toBe('dropped');
    expect(attempts.attempts[0]!.detail).toMatch(/503/);
    hooks.respond = () => ({ status: 200 });

    const unknown = await node.call('POST', '/v1.0/jobs/x', { dueTime: '1s', target: { binding: { name: 'smtp', operation: 'create' } } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('target.binding.name "smtp" is not an output binding; known output bindings: webhook');
    const badOp = await node.call('POST', '/v1.0/jobs/x', { dueTime: '1s', target: { binding: { name: 'webhook', operation: 'send' } } });
    expect(badOp.status).toBe(400);
    expect(badOp.body.message).toMatch(/^target\.binding\.operation "send" is not an operation of bindings\.http; use one of create, post, get/);
  });
});
