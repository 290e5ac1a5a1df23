// Actor reminders to a WatchJobs consumer that hosts the actor type (an app without an inbound
// port): delivered under the reminder's name with actor metadata, never early, and released from
// staging when the host connects.

import type { Client } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from '../support.js';
import { daprSchedulerClient, readValueAny, WatchConsumer } from './helpers.js';

let node: Node;
let scheduler: Client;
const consumers: WatchConsumer[] = [];

beforeAll(async () => {
  node = await startNode();
  scheduler = daprSchedulerClient(node.duetime.schedulerPort);
});
afterEach(async () => {
  for (const c of consumers.splice(0)) await c.kill();
});
afterAll(async () => {
  scheduler?.close();
  await node?.close();
});

async function host(appId: string, actorTypes: string[]): Promise<WatchConsumer> {
  const c = new WatchConsumer(scheduler, { appId, actorTypes, acceptJobTypes: ['JOB_TARGET_TYPE_ACTOR_REMINDER'] });
  consumers.push(c);
  await c.connected();
  return c;
}

const remind = (appId: string, type: string, id: string, name: string, body: unknown) =>
  node.call('PUT', `/v1.0/actors/${type}/${id}/reminders/${name}`, body, { 'dapr-app-id': appId });

describe('reminders over WatchJobs', () => {
  it('a connected host of the type receives the reminder with actor metadata, not early', async () => {
    const c = await host('cart-app', ['Cart']);
    const dueAt = Date.now() + 500;
    expect((await remind('cart-app', 'Cart', '42', 'ping', { dueTime: new Date(dueAt).toISOString(), data: { x: 1 } })).status).toBe(204);
    await c.waitFor(() => c.forJob('ping').length === 1, 15_000, 'ping');
    const [trigger] = c.forJob('ping');
    expect(trigger!.receivedAt).toBeGreaterThanOrEqual(dueAt);
    expect(trigger!.metadata.target?.actor).toEqual({ type: 'Cart', id: '42' });
    expect(readValueAny(trigger!.data)).toMatchObject({ x: 1 } as never);
    // SUCCESS finishes the one-shot reminder.
    await expect
      .poll(async () => (await node.call('GET', '/v1.0/actors/Cart/42/reminders/ping', undefined, { 'dapr-app-id': 'cart-app' })).status, { timeout: 10_000 })
      .toBe(404);
  });

  it('a reminder with no host waits staged and goes out when a host connects', async () => {
    expect((await remind('order-app', 'Order', '7', 'later', { dueTime: '10ms', data: 'waiting' })).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const view = await node.call('GET', '/v1.0/actors/Order/7/reminders/later', undefined, { 'dapr-app-id': 'order-app' });
    expect(view.status).toBe(200);
    const c = await host('order-app', ['Order']);
    await c.waitFor(() => c.forJob('later').length === 1, 15_000, 'later');
    expect(c.forJob('later')[0]!.metadata.target?.actor).toEqual({ type: 'Order', id: '7' });
  });
});
