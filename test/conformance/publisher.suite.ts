// The Publisher contract, run against every pub/sub adapter (pubsub.redis, pubsub.nats,
// pubsub.mqtt3, pubsub.rabbitmq) with its real broker on loopback: each adapter's runner calls
// publisherConformance with a harness that makes publishers and reads the broker back with a
// real subscriber of its own. What a publish must do is written here once:
//
// - on success: the message is on the broker, as the CloudEvent Dapr sends (or the raw data
//   with rawPayload), every one of a burst, and the publisher is healthy;
// - on a dead broker (never started, or stopped under it): publish() rejects within the
//   component's timeouts naming the component, healthy() turns false before any publish tries
//   (the adapters watch their connection), lastError() says why, and once the broker is back the
//   publisher reconnects by itself and publishes again;
// - on close: later publishes reject, healthy() is false, and a second close is fine.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Publisher, PublishMessage } from '../../src/core/ports/publisher.js';
import { eventually, expectCloudEvent, timed } from '../integration/components/helpers.js';

/** A real subscriber the runner opened on one topic before anything was published to it. */
export interface Subscription {
  /** The body of the next message on the topic; rejects when none comes within `timeoutMs`. */
  next(timeoutMs: number): Promise<Buffer | string>;
  close(): Promise<void>;
}

export interface PublisherHarness {
  /** The component name the publishers are made under (the CloudEvent's pubsubname). */
  componentName: string;
  /** How the component names itself in errors, e.g. `pubsub "events" (pubsub.redis)`. */
  label: string;
  /** The timeouts the publishers are made with (connectTimeout, operationTimeout), ms. */
  connectMs: number;
  operationMs: number;
  /** A new publisher on the running broker. */
  make(): Promise<Publisher>;
  /** A new publisher pointed at a loopback port where nothing listens. */
  makeUnreachable(): Promise<Publisher>;
  /** Subscribes to `topic` with a plain client of the broker (not the adapter). */
  subscribe(topic: string): Promise<Subscription>;
  /** Stops the broker, keeping its port and data. */
  stopServer(): Promise<void>;
  /** Starts it again and waits until it answers. */
  startServer(): Promise<void>;
  /** Stops the broker for good and frees what the harness holds. */
  cleanup(): Promise<void>;
}

/** Room for a loaded 2-core machine on top of the component's own timeouts. */
const SLACK_MS = 3_000;
/** How long a publisher may take to notice a broker went away, or came back. */
const NOTICE_MS = 20_000;
const RECONNECT_MS = 60_000;
const RECEIVE_MS = 10_000;

/** JSON values a job's data may hold, the awkward ones included. */
const EDGE_DATA = {
  text: 'hé "quoted" \\ \n\t ✓ 🚀 <&>',
  numbers: [0, -1, 2.5, -3.75e-7, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e21],
  flags: [true, false],
  nothing: null,
  empty: { string: '', list: [], object: {} },
  nested: { list: [1, 'two', { three: [[{}]] }] },
};

let topicCounter = 0;
/** A topic no other test used, valid for every broker (letters, digits, dashes). */
function freshTopic(what: string): string {
  return `conf-${what}-${Date.now().toString(36)}-${++topicCounter}`;
}

function message(topic: string, id: string, data: unknown, metadata: Record<string, string> = {}): PublishMessage {
  return { topic, id, data, metadata, source: 'conformance-app' };
}

export function publisherConformance(name: string, setup: () => Promise<PublisherHarness>): void {
  describe(`Publisher conformance: ${name}`, () => {
    let h: PublisherHarness;
    let publisher: Publisher;
    const made: Publisher[] = [];
    const subscriptions: Subscription[] = [];

    const make = async (factory: () => Promise<Publisher>): Promise<Publisher> => {
      const p = await factory();
      made.push(p);
      return p;
    };
    const subscribe = async (topic: string): Promise<Subscription> => {
      const s = await h.subscribe(topic);
      subscriptions.push(s);
      return s;
    };
    const bound = () => h.connectMs + h.operationMs + SLACK_MS;

    beforeAll(async () => {
      h = await setup();
      publisher = await make(() => h.make());
      await eventually('the publisher to connect', () => publisher.healthy(), RECONNECT_MS);
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.close().catch(() => undefined)));
    });

    afterAll(async () => {
      await Promise.all(made.map((p) => p.close().catch(() => undefined)));
      await h?.cleanup();
    });

    describe('on success', () => {
      it('puts the CloudEvent on the broker, where a real subscriber reads it', async () => {
        const topic = freshTopic('ce');
        const sub = await subscribe(topic);
        await publisher.publish(message(topic, 'trig-ce-1', EDGE_DATA));
        expectCloudEvent(await sub.next(RECEIVE_MS), { id: 'trig-ce-1', source: 'conformance-app', topic, pubsubname: h.componentName, data: EDGE_DATA });
        expect(publisher.healthy()).toBe(true);
        expect(publisher.lastError()).toBeUndefined();
      });

      it('sends the data alone with rawPayload', async () => {
        const topic = freshTopic('raw');
        const sub = await subscribe(topic);
        await publisher.publish(message(topic, 'trig-raw-1', EDGE_DATA, { rawPayload: 'true' }));
        expect(JSON.parse((await sub.next(RECEIVE_MS)).toString())).toEqual(EDGE_DATA);
      });

      it('publishes every message of a concurrent burst', async () => {
        const topic = freshTopic('burst');
        const sub = await subscribe(topic);
        const ids = Array.from({ length: 20 }, (_, i) => `trig-burst-${i}`);
        await Promise.all(ids.map((id, i) => publisher.publish(message(topic, id, { i }))));
        const seen: string[] = [];
        for (let i = 0; i < ids.length; i++) seen.push((JSON.parse((await sub.next(RECEIVE_MS)).toString()) as { id: string }).id);
        expect(seen.sort()).toEqual([...ids].sort());
      });
    });

    describe('on a dead broker', () => {
      it('never started: reports it unhealthy with the cause, and rejects a publish within its timeouts', async () => {
        const dead = await make(() => h.makeUnreachable());
        await eventually('an unreachable publisher to report why', () => !dead.healthy() && dead.lastError() !== undefined, NOTICE_MS);
        expect(dead.lastError()).toMatch(/ECONNREFUSED|refused|connect/i);
        const attempt = await timed(() => dead.publish(message('nowhere', 'trig-dead-1', 1)));
        expect(attempt.error?.message).toContain(h.label);
        expect(attempt.ms).toBeLessThan(bound());
        expect(dead.healthy()).toBe(false);
      });

      it('stopped under it: unhealthy before any publish, rejects within its timeouts, and publishes again once the broker is back', async () => {
        const topic = freshTopic('outage');
        await h.stopServer();
        try {
          await eventually('the publisher to notice the broker went away', () => !publisher.healthy(), NOTICE_MS);
          expect(publisher.lastError()).toBeTruthy();
          const attempt = await timed(() => publisher.publish(message(topic, 'trig-down-1', 1)));
          expect(attempt.error?.message).toContain(h.label);
          expect(attempt.ms).toBeLessThan(bound());
          expect(publisher.healthy()).toBe(false);
        } finally {
          await h.startServer();
        }
        await eventually('the publisher to reconnect', () => publisher.healthy(), RECONNECT_MS);
        const sub = await subscribe(topic);
        await publisher.publish(message(topic, 'trig-back-1', { after: 'restart' }));
        expectCloudEvent(await sub.next(RECEIVE_MS), { id: 'trig-back-1', source: 'conformance-app', topic, pubsubname: h.componentName, data: { after: 'restart' } });
      });
    });

    describe('on close', () => {
      it('rejects later publishes at once, is unhealthy, and can be closed twice', async () => {
        const p = await make(() => h.make());
        await eventually('a new publisher to connect', () => p.healthy(), RECONNECT_MS);
        const topic = freshTopic('close');
        const sub = await subscribe(topic);
        await p.publish(message(topic, 'trig-close-1', 1));
        await sub.next(RECEIVE_MS);
        await p.close();
        expect(p.healthy()).toBe(false);
        const attempt = await timed(() => p.publish(message(topic, 'trig-close-2', 2)));
        expect(attempt.error?.message).toMatch(/closed/);
        expect(attempt.ms).toBeLessThan(SLACK_MS);
        await expect(p.close()).resolves.toBeUndefined();
      });

      it('wakes a publish that waits for the connection, rejecting it at once', async () => {
        const dead = await make(() => h.makeUnreachable());
        const waiting = timed(() => dead.publish(message('nowhere', 'trig-waiting', 1)));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const closedAt = Date.now();
        await dead.close();
        const attempt = await waiting;
        expect(attempt.error?.message).toMatch(/closed/);
        expect(Date.now() - closedAt).toBeLessThan(h.connectMs);
      });

      it('closes while the broker is unreachable, within its timeouts', async () => {
        const dead = await make(() => h.makeUnreachable());
        const closing = await timed(() => dead.close());
        expect(closing.error).toBeUndefined();
        expect(closing.ms).toBeLessThan(bound());
        await expect(dead.publish(message('nowhere', 'trig-closed-dead', 1))).rejects.toThrow(/closed/);
      });
    });
  });
}
