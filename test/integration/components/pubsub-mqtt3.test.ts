import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentRegistry } from '../../../src/adapters/components/index.js';
import type { Publisher } from '../../../src/core/ports/publisher.js';
import { startMosquitto, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { expectCloudEvent, registryFromYaml } from './helpers.js';

// pubsub.mqtt3 against Debian's mosquitto: publish through the adapter, receive with a plain
// MQTT subscriber client. What every publisher must do (a dead broker, reconnecting, close) is in
// the conformance suite (test/conformance/publisher.suite.ts, test/integration/conformance/).

const CONNECT_TIMEOUT_MS = 1000;
const OPERATION_TIMEOUT_MS = 1000;

let server: LoopbackServer;
let registry: ComponentRegistry;
let publisher: Publisher;
let retained: Publisher;
const subscribers: MqttClient[] = [];

interface Received {
  topic: string;
  body: Buffer;
  qos: number;
  retain: boolean;
}

/** A subscriber on `topic`; `next()` resolves with the next message (bounded). */
async function subscribe(topic: string): Promise<{ next: () => Promise<Received> }> {
  const client = await connectAsync(server.url, { reconnectPeriod: 0, connectTimeout: 5000 });
  client.on('error', () => undefined);
  subscribers.push(client);
  const queue: Received[] = [];
  const waiting: Array<(r: Received) => void> = [];
  client.on('message', (t, body, packet) => {
    const received = { topic: t, body, qos: packet.qos, retain: packet.retain };
    const wake = waiting.shift();
    if (wake) wake(received);
    else queue.push(received);
  });
  await client.subscribeAsync(topic, { qos: 2 });
  return {
    next: () => {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message on ${topic} within 10 s`)), 10_000);
        waiting.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    },
  };
}

beforeAll(async () => {
  server = await startMosquitto();
  registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.mqtt3
  version: v1
  metadata:
    - name: url
      value: tcp://127.0.0.1:${server.port}
    - name: qos
      value: 1
    - name: connectTimeout
      value: ${CONNECT_TIMEOUT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_TIMEOUT_MS}ms
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: retained
spec:
  type: pubsub.mqtt3
  version: v1
  metadata:
    - name: url
      value: mqtt://127.0.0.1:${server.port}
    - name: qos
      value: "2"
    - name: retain
      value: "true"
`);
  publisher = registry.pubsubs.get('events')!;
  retained = registry.pubsubs.get('retained')!;
});

afterAll(async () => {
  await Promise.all(subscribers.map((s) => s.endAsync(true).catch(() => undefined)));
  await registry?.close();
  await server?.stop();
});

describe('pubsub.mqtt3', () => {
  it('publishes the CloudEvent to the topic with the configured qos', async () => {
    const sub = await subscribe('orders');
    await publisher.publish({ topic: 'orders', data: { order: 3 }, metadata: {}, id: 'trig-1', source: 'shop' });
    const msg = await sub.next();
    expect(msg.topic).toBe('orders');
    expect(msg.qos).toBe(1);
    expectCloudEvent(msg.body, { id: 'trig-1', source: 'shop', topic: 'orders', pubsubname: 'events', data: { order: 3 } });
  });

  it('retains the message when the component says retain, so a later subscriber still gets it', async () => {
    await retained.publish({ topic: 'status', data: 'green', metadata: {}, id: 'trig-2', source: 'shop' });
    const late = await subscribe('status');
    const msg = await late.next();
    expect(msg.retain).toBe(true);
    expectCloudEvent(msg.body, { id: 'trig-2', source: 'shop', topic: 'status', pubsubname: 'retained', data: 'green' });
  });
});
