// A pubsub target on MQTT 3.1.1 (mosquitto): the job publishes at its due time and a plain MQTT
// subscriber receives exactly the CloudEvent; the publish API takes a topic with "/" in it.

import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { expectCloudEvent } from '../components/helpers.js';
import { schedulePubsubJob, startTargetNode, type TargetNode } from './helpers.js';

let server: LoopbackServer;
let node: TargetNode;
let subscriber: MqttClient;
const received: Array<{ topic: string; body: Buffer; at: number }> = [];

async function waitForMessages(count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (received.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${received.length} of ${count} MQTT messages arrived`);
    await new Promise((resolve) => subscriber.once('message', resolve));
  }
}

beforeAll(async () => {
  server = await startMosquitto();
  node = await startTargetNode(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: devices
spec:
  type: pubsub.mqtt3
  version: v1
  metadata:
    - name: url
      value: tcp://127.0.0.1:${server.port}
    - name: qos
      value: "1"
`);
  subscriber = await connectAsync(server.url, { reconnectPeriod: 0, connectTimeout: 5000 });
  subscriber.on('error', () => undefined);
  subscriber.on('message', (topic, body) => received.push({ topic, body, at: Date.now() }));
  await subscriber.subscribeAsync('devices/#', { qos: 1 });
});

afterAll(async () => {
  await subscriber?.endAsync(true).catch(() => undefined);
  await node?.close();
  await server?.stop();
});

describe('pubsub target on pubsub.mqtt3', () => {
  it('publishes exactly the CloudEvent at the due time, not early', async () => {
    const { dueAt, delivered } = await schedulePubsubJob(node, 'wake-device', { name: 'devices', topic: 'devices/42/wake' }, { mode: 'eco' }, 1500);
    await waitForMessages(1);
    const [msg] = received;
    expect(msg!.topic).toBe('devices/42/wake');
    expect(msg!.at).toBeGreaterThanOrEqual(dueAt);
    const attempt = await delivered;
    expectCloudEvent(msg!.body, { id: attempt.trigger.triggerId, source: 'app', topic: 'devices/42/wake', pubsubname: 'devices', data: { mode: 'eco' } });
    expect(Date.parse(JSON.parse(msg!.body.toString()).time)).toBeGreaterThanOrEqual(dueAt);
  });

  it('delays a publish to a topic with "/" through the publish API', async () => {
    const before = Date.now();
    const res = await node.call('POST', '/v1.0/publish/devices/devices/7/reboot?metadata.delay=1s', { now: true });
    expect(res.status).toBe(204);
    await waitForMessages(2);
    const msg = received[1]!;
    expect(msg.topic).toBe('devices/7/reboot');
    expect(msg.at - before).toBeGreaterThanOrEqual(1000);
    expect(JSON.parse(msg.body.toString())).toMatchObject({ topic: 'devices/7/reboot', pubsubname: 'devices', data: { now: true } });
  });
});
