// A pubsub target on RabbitMQ: the job publishes at its due time to the topic's durable fanout
// exchange and a plain AMQP consumer of a bound queue receives exactly the CloudEvent. One
// RabbitMQ shared by the run's files (test/integration/shared-server.ts): it takes ~8 s to start;
// what this file declares is deleted at the end. With RabbitMQ stopped before the jobs are due,
// their retries publish once it is back, and a reader connecting after the restart finds each in
// its durable queue.

import { connect, type Channel, type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCloudEvent } from '../components/helpers.js';
import { schedulePubsubJob, startTargetNode, type TargetNode } from './helpers.js';
import { deleteRabbitMqObjects } from '../rabbitmq-cleanup.js';
import { sharedServer, type SharedServer } from '../shared-server.js';
import { deliverAcrossOutage, timedOutAttempts } from './outage.js';

let server: SharedServer;
let node: TargetNode;
let connection: ChannelModel;
let channel: Channel;
const received: Array<{ msg: ConsumeMessage; at: number }> = [];
let arrived: (() => void) | undefined;

beforeAll(async () => {
  server = await sharedServer('rabbitmq');
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
    - name: connectTimeout
      value: 1s
    - name: operationTimeout
      value: 3s
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
  if (server) await deleteRabbitMqObjects(server.url, { queues: ['billing-invoices', 'warehouse-shipments'], exchanges: ['invoices', 'shipments'] });
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

describe('RabbitMQ stopped mid-test', () => {
  it('fails the attempts while down, shows it in /readyz, and publishes each job on a retry once back: nothing lost', async () => {
    // The subscriber's side, set up while RabbitMQ is up: a durable queue bound to the topic's
    // durable exchange; both survive the restart, and so do the persistent messages in it.
    await channel.assertExchange('shipments', 'fanout', { durable: true });
    await channel.assertQueue('warehouse-shipments', { durable: true });
    await channel.bindQueue('warehouse-shipments', 'shipments', '');
    await connection.close();

    const jobs = await deliverAcrossOutage(node, server, {
      component: 'orders-bus',
      type: 'pubsub.rabbitmq',
      jobs: [1, 2, 3].map((n) => ({ name: `outage-${n}`, data: { parcel: n }, target: { pubsub: { name: 'orders-bus', topic: 'shipments' } } })),
      // Stopping RabbitMQ takes 2 to 3 s here (more on a loaded machine); starting it again several.
      firstDueInMs: 8000,
      maxRetries: 60,
    });

    // A reader connecting after the restart. Every publish was confirmed, so every message is
    // in the queue by now: read until it is empty.
    connection = await connect(server.url);
    connection.on('error', () => undefined);
    channel = await connection.createChannel();
    const copies = (await channel.checkQueue('warehouse-shipments')).messageCount;
    const got: GetMessage[] = [];
    for (let i = 0; i < copies + 1; i++) {
      const msg = await channel.get('warehouse-shipments', { noAck: true });
      if (msg === false) break;
      got.push(msg);
    }
    expect(got).toHaveLength(copies);
    expect(new Set(got.map((m) => m.properties.messageId as string))).toEqual(new Set(jobs.map((j) => j.triggerId)));
    for (const job of jobs) {
      const mine = got.filter((m) => m.properties.messageId === job.triggerId);
      // Confirms make this at least once: an attempt that timed out waiting for the confirm may
      // also have been taken. Nothing else may add a copy.
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(mine.length).toBeLessThanOrEqual(1 + timedOutAttempts(job));
      for (const msg of mine) {
        expect(msg.fields.exchange).toBe('shipments');
        expect(msg.properties.deliveryMode).toBe(2);
        expectCloudEvent(msg.content, { id: job.triggerId, source: 'app', topic: 'shipments', pubsubname: 'orders-bus', data: job.data });
        expect(Date.parse(JSON.parse(msg.content.toString()).time)).toBeGreaterThanOrEqual(job.dueAt);
      }
    }
  });
});
