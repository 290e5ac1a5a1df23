// Delivery to connected stream consumers (gRPC WatchJobs): apps without an inbound port. A
// trigger goes to one open consumer of its app, round-robin. A trigger whose stream closes before
// its result is handed to another consumer of the app at once, or, when none is left, reported
// as `staged`: the engine keeps it without using a retry, and releases it when a consumer
// connects (onConsumerConnected -> engine.releaseStaged). No trigger is lost either way; a
// consumer may see a trigger again that it had already handled before its stream broke
// (at-least-once, as SPEC 1 promises).

import type { Outcome, Trigger } from '../../core/model/trigger.js';
import type { Deliverer, OutcomeReceiver } from '../../core/ports/deliverer.js';
import type { StreamConsumers } from '../../core/ports/stream-consumers.js';
import { StreamConsumer, type ConsumerInfo, type ConsumerSink, type PendingDelivery } from './stream-consumer.js';

export interface StreamChannelOptions {
  /** How long a trigger may wait for its result before it counts as failed, ms. */
  deliveryTimeoutMs: number;
}

type ConnectedListener = (namespace: string, appId: string) => void;

/** Round-robin pools of consumers, by key. */
class Pools {
  private readonly pools = new Map<string, { consumers: StreamConsumer[]; next: number }>();

  add(key: string, consumer: StreamConsumer): void {
    const pool = this.pools.get(key) ?? { consumers: [], next: 0 };
    pool.consumers.push(consumer);
    this.pools.set(key, pool);
  }

  remove(key: string, consumer: StreamConsumer): void {
    const pool = this.pools.get(key);
    if (!pool) return;
    pool.consumers = pool.consumers.filter((c) => c !== consumer);
    if (pool.consumers.length === 0) this.pools.delete(key);
  }

  has(key: string): boolean {
    return this.pools.has(key);
  }

  pick(key: string): StreamConsumer | undefined {
    const pool = this.pools.get(key);
    if (!pool) return undefined;
    const consumer = pool.consumers[pool.next % pool.consumers.length];
    pool.next = (pool.next + 1) % pool.consumers.length;
    return consumer;
  }

  clear(): void {
    this.pools.clear();
  }
}

export class StreamChannel implements Deliverer, StreamConsumers {
  private readonly apps = new Pools();
  private readonly actorHosts = new Pools();
  private readonly consumers = new Set<StreamConsumer>();
  private readonly listeners: ConnectedListener[] = [];
  private closing = false;

  constructor(private readonly options: StreamChannelOptions) {}

  /** A stream sent its initial message: from now on it takes triggers. */
  connect(info: ConsumerInfo, sink: ConsumerSink): StreamConsumer {
    const consumer = new StreamConsumer(info, sink, this.options.deliveryTimeoutMs, (c, orphans) => this.onClosed(c, orphans));
    if (this.closing) {
      consumer.close();
      return consumer;
    }
    this.consumers.add(consumer);
    if (info.acceptsJobs) this.apps.add(appKey(info.namespace, info.appId), consumer);
    if (info.acceptsReminders) for (const type of info.actorTypes) this.actorHosts.add(appKey(info.namespace, type), consumer);
    for (const listener of this.listeners) listener(info.namespace, info.appId);
    return consumer;
  }

  /** Called after each consumer connects, so staged triggers of its app go out. */
  onConsumerConnected(listener: ConnectedListener): void {
    this.listeners.push(listener);
  }

  hasConsumer(namespace: string, appId: string): boolean {
    return this.apps.has(appKey(namespace, appId));
  }

  /** An app's own job: to one of the app's consumers. */
  deliver(trigger: Trigger): Promise<Outcome> {
    return new Promise((resolve) => this.deliverTo(trigger, { receive: resolve }));
  }

  /** deliver in the callback form the engine uses: one object per trigger (the ChannelDelivery). */
  deliverTo(trigger: Trigger, receiver: OutcomeReceiver): void {
    this.dispatch(new ChannelDelivery(trigger, this.apps, appKey(trigger.key.namespace, trigger.key.appId), receiver));
  }

  /** For actor reminders: is any consumer in the namespace hosting this actor type? */
  hasActorHost(namespace: string, actorType: string): boolean {
    return this.actorHosts.has(appKey(namespace, actorType));
  }

  /** For actor reminders: to one consumer hosting the actor type, whichever app it belongs to. */
  deliverToActorHost(trigger: Trigger, actorType: string): Promise<Outcome> {
    const key = appKey(trigger.key.namespace, actorType);
    return new Promise((resolve) => this.dispatch(new ChannelDelivery(trigger, this.actorHosts, key, { receive: resolve })));
  }

  /** Server stopping: every stream closes; what was in flight is reported staged (it stays in the store). */
  closeAll(): void {
    this.closing = true;
    this.apps.clear();
    this.actorHosts.clear();
    for (const consumer of [...this.consumers]) consumer.close();
  }

  stats(): { consumers: number; inFlight: number } {
    let inFlight = 0;
    for (const consumer of this.consumers) inFlight += consumer.inFlightCount;
    return { consumers: this.consumers.size, inFlight };
  }

  private dispatch(pending: PendingDelivery): void {
    const consumer = this.closing ? undefined : (pending as ChannelDelivery).pick();
    if (!consumer) {
      pending.settle({ kind: 'staged', detail: `no WatchJobs consumer for app "${pending.trigger.key.appId}"` });
      return;
    }
    consumer.take(pending);
  }

  private onClosed(consumer: StreamConsumer, orphans: PendingDelivery[]): void {
    if (this.consumers.delete(consumer)) {
      const { namespace, appId, actorTypes } = consumer.info;
      this.apps.remove(appKey(namespace, appId), consumer);
      for (const type of actorTypes) this.actorHosts.remove(appKey(namespace, type), consumer);
    }
    for (const pending of orphans) this.dispatch(pending);
  }
}

/**
 * A delivery in the channel's hands: it remembers its pool and key, so that a trigger orphaned by
 * a broken stream goes back to the same pool. One object per trigger (it was an object, two
 * closures and a WeakMap entry, whose ephemeron bookkeeping the GC pays for; then a pick closure
 * and a promise with its resolve closure).
 */
class ChannelDelivery implements PendingDelivery {
  deadline = 0;
  private settled = false;

  constructor(
    readonly trigger: Trigger,
    private readonly pool: Pools,
    private readonly key: string,
    private readonly receiver: OutcomeReceiver,
  ) {}

  pick(): StreamConsumer | undefined {
    return this.pool.pick(this.key);
  }

  settle(outcome: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    this.receiver.receive(outcome);
  }
}

/**
 * The pool key of (namespace, app or actor type). The last one is kept: every trigger asks twice
 * (hasConsumer, then deliver), a burst is of one app, and a fresh string is copied and hashed by
 * each pool lookup.
 */
function appKey(namespace: string, name: string): string {
  if (name !== lastKey.name || namespace !== lastKey.namespace) lastKey = { namespace, name, key: `${namespace}\u0000${name}` };
  return lastKey.key;
}

let lastKey = { namespace: '', name: '', key: '\u0000' };
