// A pubsub target on RabbitMQ: the job publishes at its due time to the topic's durable fanout
// exchange and a plain AMQP consumer of a bound queue receives exactly the CloudEvent. One
// RabbitMQ for the file: it takes ~8 s to start.

import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRabbitMq, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { expectCloudEvent } from '../components/helpers.js';
import { schedulePubsubJob, startTargetNode, type TargetNode } from './helpers.js';

let server: LoopbackServer;
let node: TargetNode;
let connection: ChannelModel;
let channel: Channel;
const received: Array<{ msg: ConsumeMessage; at: number }> = [];
let arrived: (() => void) | undefined;

beforeAll(async () => {
  server = await startRabbitMq();
  node = await startTargetNode(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: orders-bus
spec:
  type: pubsub.rabbitmq
  version: v1
  metadata:
    - name: connectionString
      value: ${server.url}
`);
  connection = await connect(server.url);
  connection.on('error', () => undefined);
  channel = await connection.createChannel();
  // As a Dapr subscriber does: a durable queue bound to the topic's durable fanout exchange.
  await channel.assertExchange('invoices', 'fanout', { durable: true });
  await channel.assertQueue('billing-invoices', { durable: true });
  await channel.bindQueue('billing-invoices', 'invoices', '');
  await channel.consume('billing-invoices', (msg) => {
    if (!msg) return;
    received.push({ msg, at: Date.now() });
    channel.ack(msg);
    arrived?.();
  });
});

afterAll(async () => {
  await connection?.close().catch(() => undefined);
  await node?.close();
  await server?.stop();
});

describe('pubsub target on pubsub.rabbitmq', () => {
  it('publishes exactly the CloudEvent at the due time, not early, persistent, with the trigger id as message id', async () => {
    const got = new Promise<void>((resolve) => (arrived = resolve));
    const { dueAt, delivered } = await schedulePubsubJob(node, 'send-invoice', { name: 'orders-bus', topic: 'invoices', metadata: { tenant: 'acme' } }, { invoice: 'A-1' }, 1500);
    await got;
    const { msg, at } = received[0]!;
    expect(at).toBeGreaterThanOrEqual(dueAt);
    const attempt = await delivered;
    expect(msg.fields.exchange).toBe('invoices');
    expect(msg.properties.messageId).toBe(attempt.trigger.triggerId);
    expect(msg.properties.deliveryMode).toBe(2);
    expect(msg.properties.headers).toEqual({ tenant: 'acme' });
    expectCloudEvent(msg.content, { id: attempt.trigger.triggerId, source: 'app', topic: 'invoices', pubsubname: 'orders-bus', data: { invoice: 'A-1' } });
    expect(Date.parse(JSON.parse(msg.content.toString()).time)).toBeGreaterThanOrEqual(dueAt);
    expect(received).toHaveLength(1);
  });
});
