// A pubsub target on MQTT 3.1.1 (mosquitto): the job publishes at its due time and a plain MQTT
// subscriber receives exactly the CloudEvent; the publish API takes a topic with "/" in it. With
// mosquitto stopped before the jobs are due, their retries publish once it is back, and a
// subscriber with a persistent session (which mosquitto keeps across the restart) gets each.

import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { expectCloudEvent } from '../components/helpers.js';
import { schedulePubsubJob, startTargetNode, type TargetNode } from './helpers.js';
import { deliverAcrossOutage, timedOutAttempts } from './outage.js';

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
    - name: connectTimeout
      value: 1s
    - name: operationTimeout
      value: 3s
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

describe('mosquitto stopped mid-test', () => {
  it('fails the attempts while down, shows it in /readyz, and publishes each job on a retry once back: nothing lost', async () => {
    // Persistent session (clean: false, fixed client id) subscribed at qos 1: mosquitto saves it
    // on shutdown and queues what is published for it until the client is back, so it does not
    // matter whether the retry or the subscriber's reconnect comes first. No resubscribe: the
    // subscription must come back with the session.
    const plant = await connectAsync(server.url, { clientId: 'outage-subscriber', clean: false, resubscribe: false, reconnectPeriod: 200, connectTimeout: 5000 });
    try {
      plant.on('error', () => undefined);
      const sessionPresent: boolean[] = [];
      plant.on('connect', (connack) => sessionPresent.push(connack.sessionPresent));
      const got: Array<{ topic: string; body: Buffer; at: number }> = [];
      plant.on('message', (topic, body) => got.push({ topic, body, at: Date.now() }));
      await plant.subscribeAsync('plant/#', { qos: 1 });

      const jobs = await deliverAcrossOutage(node, server, {
        component: 'devices',
        type: 'pubsub.mqtt3',
        jobs: [1, 2, 3].map((n) => ({ name: `outage-${n}`, data: { pump: n }, target: { pubsub: { name: 'devices', topic: `plant/pump-${n}/start` } } })),
        firstDueInMs: 1500,
        maxRetries: 20,
      });

      const ids = (): string[] => got.map((m) => JSON.parse(m.body.toString()).id as string);
      const deadline = Date.now() + 20_000;
      while (!jobs.every((j) => ids().includes(j.triggerId))) {
        if (Date.now() > deadline) throw new Error(`only ${got.length} MQTT messages arrived: ${JSON.stringify(ids())}`);
        await new Promise((resolve) => plant.once('message', resolve));
      }
      // Reconnected to the session mosquitto kept on disk, never to a fresh one.
      expect(sessionPresent.length).toBeGreaterThan(0);
      expect(sessionPresent.every(Boolean)).toBe(true);
      expect(got.every((m) => jobs.some((j) => j.triggerId === JSON.parse(m.body.toString()).id))).toBe(true);
      for (const job of jobs) {
        const copies = got.filter((m) => JSON.parse(m.body.toString()).id === job.triggerId);
        // qos 1 is at least once: an attempt that timed out waiting for the PUBACK may also
        // have reached the broker. Nothing else may add a copy.
        expect(copies.length).toBeGreaterThanOrEqual(1);
        expect(copies.length).toBeLessThanOrEqual(1 + timedOutAttempts(job));
        for (const msg of copies) {
          expect(msg.topic).toBe((job.target as { pubsub: { topic: string } }).pubsub.topic);
          expect(msg.at).toBeGreaterThanOrEqual(job.dueAt);
          expectCloudEvent(msg.body, { id: job.triggerId, source: 'app', topic: msg.topic, pubsubname: 'devices', data: job.data });
          expect(Date.parse(JSON.parse(msg.body.toString()).time)).toBeGreaterThanOrEqual(job.dueAt);
        }
      }
    } finally {
      await plant.endAsync(true).catch(() => undefined);
    }
  });
});
