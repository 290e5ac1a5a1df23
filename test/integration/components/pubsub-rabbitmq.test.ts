import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentRegistry } from '../../../src/adapters/components/index.js';
import type { Publisher } from '../../../src/core/ports/publisher.js';
import { deleteRabbitMqObjects } from '../rabbitmq-cleanup.js';
import { sharedServer, type SharedServer } from '../shared-server.js';
import { eventually, expectCloudEvent, registryFromYaml, timed } from './helpers.js';

// pubsub.rabbitmq against Debian's rabbitmq-server: publish through the adapter; a plain AMQP
// consumer reads a queue bound to the topic's fanout exchange, as a Dapr subscriber does. The
// run's shared RabbitMQ (it takes 8-16 s to boot); what this file declares is deleted at the end.

const CONNECT_TIMEOUT_MS = 2000;
const OPERATION_TIMEOUT_MS = 2000;

let server: SharedServer;
let registry: ComponentRegistry;
let publisher: Publisher;
let consumer: { connection: ChannelModel; channel: Channel } | undefined;

async function openConsumer(): Promise<Channel> {
  const connection = await connect(server.url);
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  consumer = { connection, channel };
  return channel;
}

/** Declares a durable queue bound to the topic's exchange (declared as Dapr declares it). */
async function bindQueue(channel: Channel, topic: string, queue: string): Promise<void> {
  await channel.assertExchange(topic, 'fanout', { durable: true });
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, topic, '');
}

/** The next message of the queue, waited for with basic.get in a bounded loop. */
async function nextMessage(channel: Channel, queue: string): Promise<ConsumeMessage> {
  let message: ConsumeMessage | false = false;
  await eventually(`a message on queue ${queue}`, async () => {
    message = (await channel.get(queue, { noAck: true })) as ConsumeMessage | false;
    return message !== false;
  });
  return message as unknown as ConsumeMessage;
}

beforeAll(async () => {
  server = await sharedServer('rabbitmq');
  registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.rabbitmq
  version: v1
  metadata:
    - name: connectionString
      value: ${server.url}
    - name: connectTimeout
      value: ${CONNECT_TIMEOUT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_TIMEOUT_MS}ms
`);
  publisher = registry.pubsubs.get('events')!;
  await eventually('the publisher to connect', () => publisher.healthy());
});

afterAll(async () => {
  await consumer?.connection.close().catch(() => undefined);
  await registry?.close();
  if (server) await deleteRabbitMqObjects(server.url, { queues: ['orders-app'], exchanges: ['orders', 'fresh-topic'] });
});

describe('pubsub.rabbitmq', () => {
  it('publishes a persistent CloudEvent, confirmed, to the durable fanout exchange named after the topic', async () => {
    const channel = await openConsumer();
    await bindQueue(channel, 'orders', 'orders-app');
    await publisher.publish({ topic: 'orders', data: { order: 9 }, metadata: { routingKey: 'eu', tenant: 'acme' }, id: 'trig-1', source: 'shop' });
    const msg = await nextMessage(channel, 'orders-app');
    expect(msg.fields.exchange).toBe('orders');
    expect(msg.fields.routingKey).toBe('eu');
    expect(msg.properties.deliveryMode).toBe(2);
    expect(msg.properties.messageId).toBe('trig-1');
    expect(msg.properties.contentType).toBe('application/cloudevents+json');
    expect(msg.properties.headers).toEqual({ tenant: 'acme' });
    expectCloudEvent(msg.content, { id: 'trig-1', source: 'shop', topic: 'orders', pubsubname: 'events', data: { order: 9 } });
  });

  it('declares the exchange itself when no subscriber has yet', async () => {
    await publisher.publish({ topic: 'fresh-topic', data: 1, metadata: {}, id: 'trig-2', source: 'shop' });
    // checkExchange fails (and closes the channel) when the exchange does not exist.
    await expect(consumer!.channel.checkExchange('fresh-topic')).resolves.toBeDefined();
  });

  it('fails within its timeouts while RabbitMQ is down, reports it, and publishes again once it is back', async () => {
    await consumer?.connection.close().catch(() => undefined);
    consumer = undefined;
    await server.down();
    await eventually('the publisher to report the broker down', () => !publisher.healthy());
    expect(publisher.lastError()).toBeTruthy();

    const attempt = await timed(() => publisher.publish({ topic: 'orders', data: 1, metadata: {}, id: 'trig-down', source: 'shop' }));
    expect(attempt.error?.message).toMatch(/pubsub "events" \(pubsub\.rabbitmq\)/);
    expect(attempt.ms).toBeLessThan(CONNECT_TIMEOUT_MS + OPERATION_TIMEOUT_MS + 3000);

    await server.up();
    await eventually('the publisher to reconnect', () => publisher.healthy(), 60_000);
    await publisher.publish({ topic: 'orders', data: { after: 'restart' }, metadata: {}, id: 'trig-3', source: 'shop' });
    // The durable queue and its binding survived the restart.
    const channel = await openConsumer();
    const msg = await nextMessage(channel, 'orders-app');
    expectCloudEvent(msg.content, { id: 'trig-3', source: 'shop', topic: 'orders', pubsubname: 'events', data: { after: 'restart' } });
  });
});
