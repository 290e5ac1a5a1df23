// A pubsub target on NATS JetStream: the job publishes at its due time and a durable JetStream
// consumer of a separate connection receives exactly the CloudEvent.

import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { expectCloudEvent } from '../components/helpers.js';
import { schedulePubsubJob, startTargetNode, type TargetNode } from './helpers.js';

const STREAM = 'DUETIME_JOBS';

let server: LoopbackServer;
let node: TargetNode;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNats();
  node = await startTargetNode(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: jobs-bus
spec:
  type: pubsub.nats
  version: v1
  metadata:
    - name: natsURL
      value: ${server.url}
    - name: streamName
      value: ${STREAM}
`);
  nc = await connect({ servers: server.url, reconnect: false });
  jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['orders.due'] });
  await jsm.consumers.add(STREAM, { durable_name: 'billing', ack_policy: AckPolicy.Explicit, filter_subject: 'orders.due' });
});

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await node?.close();
  await server?.stop();
});

describe('pubsub target on pubsub.nats (JetStream)', () => {
  it('publishes exactly the CloudEvent at the due time, not early, with the trigger id as Nats-Msg-Id', async () => {
    const consumer = await jetstream(nc).consumers.get(STREAM, 'billing');
    const next = consumer.next({ expires: 20_000 }).then((msg) => ({ msg, at: Date.now() }));
    const { dueAt, delivered } = await schedulePubsubJob(node, 'close-order', { name: 'jobs-bus', topic: 'orders.due' }, { order: 12 }, 1500);
    const { msg, at } = await next;
    expect(msg).not.toBeNull();
    msg!.ack();
    expect(at).toBeGreaterThanOrEqual(dueAt);
    const attempt = await delivered;
    expect(attempt.outcome).toBe('success');
    expect(msg!.headers?.get('Nats-Msg-Id')).toBe(attempt.trigger.triggerId);
    expectCloudEvent(msg!.string(), { id: attempt.trigger.triggerId, source: 'app', topic: 'orders.due', pubsubname: 'jobs-bus', data: { order: 12 } });
    expect(Date.parse(JSON.parse(msg!.string()).time)).toBeGreaterThanOrEqual(dueAt);
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(1);
  });
});
