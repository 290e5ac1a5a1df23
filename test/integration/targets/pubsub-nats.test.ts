// A pubsub target on NATS JetStream: the job publishes at its due time and a durable JetStream
// consumer of a separate connection receives exactly the CloudEvent; with NATS stopped before
// the jobs are due, their retries publish once it is back and the durable consumer, read again
// on a new connection, gets each exactly once.

import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { expectCloudEvent } from '../components/helpers.js';
import { schedulePubsubJob, startTargetNode, type TargetNode } from './helpers.js';
import { deliverAcrossOutage } from './outage.js';

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
    - name: connectTimeout
      value: 1s
    - name: operationTimeout
      value: 3s
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

describe('NATS stopped mid-test', () => {
  it('fails the attempts while down, shows it in /readyz, and publishes each job on a retry once back: nothing lost, nothing twice', async () => {
    const subject = 'orders.outage';
    // The subscriber's side, set up while NATS is up: the stream captures the subject (file
    // storage, so it survives the restart) and a durable consumer waits on it.
    const info = await jsm.streams.info(STREAM);
    await jsm.streams.update(STREAM, { subjects: [...(info.config.subjects ?? []), subject] });
    await jsm.consumers.add(STREAM, { durable_name: 'outage-reader', ack_policy: AckPolicy.Explicit, filter_subject: subject });
    const before = (await jsm.streams.info(STREAM)).state.messages;
    await nc.close();

    const jobs = await deliverAcrossOutage(node, server, {
      component: 'jobs-bus',
      type: 'pubsub.nats',
      jobs: [1, 2, 3].map((n) => ({ name: `outage-${n}`, data: { order: n }, target: { pubsub: { name: 'jobs-bus', topic: subject } } })),
      firstDueInMs: 1500,
      maxRetries: 20,
    });

    // A new connection after the restart: the durable consumer still has every message.
    nc = await connect({ servers: server.url, reconnect: false });
    jsm = await jetstreamManager(nc);
    const consumer = await jetstream(nc).consumers.get(STREAM, 'outage-reader');
    const got: Array<{ id: string | undefined; body: string; storedAt: number }> = [];
    for (let i = 0; i < jobs.length; i++) {
      const msg = await consumer.next({ expires: 10_000 });
      expect(msg, `message ${i + 1} of ${jobs.length}`).not.toBeNull();
      got.push({ id: msg!.headers?.get('Nats-Msg-Id'), body: msg!.string(), storedAt: Date.parse(msg!.timestamp) });
      msg!.ack();
    }
    // JetStream dropped any repeated attempt by its Nats-Msg-Id: one message per job.
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(before + jobs.length);
    expect((await consumer.info()).num_pending).toBe(0);
    expect(got.map((m) => m.id).sort()).toEqual(jobs.map((j) => j.triggerId).sort());
    for (const job of jobs) {
      const msg = got.find((m) => m.id === job.triggerId)!;
      expect(msg.storedAt).toBeGreaterThanOrEqual(job.dueAt);
      expectCloudEvent(msg.body, { id: job.triggerId, source: 'app', topic: subject, pubsubname: 'jobs-bus', data: job.data });
      expect(Date.parse(JSON.parse(msg.body).time)).toBeGreaterThanOrEqual(job.dueAt);
    }
  });
});
