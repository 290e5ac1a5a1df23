import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentRegistry } from '../../../src/adapters/components/index.js';
import type { Publisher } from '../../../src/core/ports/publisher.js';
import { startNats, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { eventually, expectCloudEvent, registryFromYaml, timed } from './helpers.js';

// pubsub.nats (JetStream) against Debian's nats-server -js: publish through the adapter, read
// with a durable JetStream consumer of a separate connection.

const CONNECT_TIMEOUT_MS = 1000;
const OPERATION_TIMEOUT_MS = 1500;
const STREAM = 'DUETIME_EVENTS';

let server: LoopbackServer;
let registry: ComponentRegistry;
let managed: Publisher;
let unmanaged: Publisher;
let nc: NatsConnection;
let jsm: JetStreamManager;

async function connectSubscriber(): Promise<void> {
  nc = await connect({ servers: server.url, reconnect: false });
  jsm = await jetstreamManager(nc);
}

/** The next message a durable consumer of the stream gets on `subject`. */
async function nextMessage(subject: string, durable: string): Promise<{ body: string; headers: Record<string, string> } | undefined> {
  await jsm.consumers.add(STREAM, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: subject }).catch(() => undefined);
  const consumer = await jetstream(nc).consumers.get(STREAM, durable);
  const msg = await consumer.next({ expires: 10_000 });
  if (msg === null) return undefined;
  msg.ack();
  const headers: Record<string, string> = {};
  for (const [key, values] of msg.headers ?? []) headers[key] = values[0]!;
  return { body: msg.string(), headers };
}

beforeAll(async () => {
  server = await startNats();
  registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.nats
  version: v1
  metadata:
    - name: natsURL
      value: ${server.url}
    - name: streamName
      value: ${STREAM}
    - name: connectTimeout
      value: ${CONNECT_TIMEOUT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_TIMEOUT_MS}ms
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: unmanaged
spec:
  type: pubsub.jetstream
  version: v1
  metadata:
    - name: natsURL
      value: ${server.url}
    - name: operationTimeout
      value: ${OPERATION_TIMEOUT_MS}ms
`);
  managed = registry.pubsubs.get('events')!;
  unmanaged = registry.pubsubs.get('unmanaged')!;
  await connectSubscriber();
});

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await registry?.close();
  await server?.stop();
});

describe('pubsub.nats (JetStream)', () => {
  it('creates the stream for the topic and stores the CloudEvent, acknowledged by JetStream', async () => {
    await managed.publish({ topic: 'orders', data: { order: 7 }, metadata: {}, id: 'trig-1', source: 'shop' });
    const info = await jsm.streams.info(STREAM);
    expect(info.config.subjects).toEqual(['orders']);
    expect(info.state.messages).toBe(1);

    const msg = await nextMessage('orders', 'orders-reader');
    expect(msg?.headers['Nats-Msg-Id']).toBe('trig-1');
    expectCloudEvent(msg!.body, { id: 'trig-1', source: 'shop', topic: 'orders', pubsubname: 'events', data: { order: 7 } });
  });

  it('adds each new topic to the stream, and lets JetStream drop a retried attempt of the same tick', async () => {
    await Promise.all([
      managed.publish({ topic: 'invoices', data: 1, metadata: {}, id: 'trig-2', source: 'shop' }),
      managed.publish({ topic: 'refunds', data: 2, metadata: {}, id: 'trig-3', source: 'shop' }),
    ]);
    await managed.publish({ topic: 'invoices', data: 1, metadata: {}, id: 'trig-2', source: 'shop' });
    const info = await jsm.streams.info(STREAM);
    expect([...(info.config.subjects ?? [])].sort()).toEqual(['invoices', 'orders', 'refunds']);
    expect(info.state.messages).toBe(3);
  });

  it('says which setting is missing when no stream captures the subject', async () => {
    const attempt = await timed(() => unmanaged.publish({ topic: 'nowhere', data: 1, metadata: {}, id: 'trig-4', source: 'shop' }));
    expect(attempt.error?.message).toMatch(/no JetStream stream captures subject "nowhere".*streamName/);
  });

  it('fails within its timeouts while NATS is down, reports it, and publishes again once NATS is back', async () => {
    await nc.close();
    await server.down();
    await eventually('the publisher to report NATS down', () => !managed.healthy());
    expect(managed.lastError()).toBeTruthy();

    const attempt = await timed(() => managed.publish({ topic: 'orders', data: 1, metadata: {}, id: 'trig-down', source: 'shop' }));
    expect(attempt.error?.message).toMatch(/pubsub "events" \(pubsub\.nats\)/);
    expect(attempt.ms).toBeLessThan(CONNECT_TIMEOUT_MS + OPERATION_TIMEOUT_MS + 3000);

    await server.up();
    // The client's reconnect wait is one second; give it room.
    await eventually('the publisher to reconnect', () => managed.healthy());
    await connectSubscriber();
    await managed.publish({ topic: 'orders', data: { after: 'restart' }, metadata: {}, id: 'trig-5', source: 'shop' });
    // The stream (file storage) survived the restart: the first message was read, this one is next.
    const msg = await nextMessage('orders', 'orders-reader');
    expectCloudEvent(msg!.body, { id: 'trig-5', source: 'shop', topic: 'orders', pubsubname: 'events', data: { after: 'restart' } });
  });
});
