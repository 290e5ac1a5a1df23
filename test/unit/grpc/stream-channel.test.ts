// The stream channel without gRPC: consumers are sinks that record what they are sent.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamChannel } from '../../../src/adapters/deliver-stream/stream-channel.js';
import type { ConsumerInfo, StreamConsumer } from '../../../src/adapters/deliver-stream/stream-consumer.js';
import type { Outcome, Trigger } from '../../../src/core/model/trigger.js';

const info = (appId: string, extra: Partial<ConsumerInfo> = {}): ConsumerInfo => ({
  namespace: 'ns',
  appId,
  actorTypes: [],
  acceptsJobs: true,
  acceptsReminders: true,
  ...extra,
});

function trigger(name: string, appId = 'app'): Trigger {
  return { key: { namespace: 'ns', appId, name }, uid: 'u', triggerId: `t-${name}`, scheduledAt: 0, attempt: 1, data: undefined, target: { kind: 'app' }, manual: false };
}

class Recorder {
  sent: Array<{ id: number; name: string }> = [];
  broken = false;
  consumer!: StreamConsumer;
  send = (id: number, t: Trigger): boolean | void => {
    if (this.broken) throw new Error('broken');
    this.sent.push({ id, name: t.key.name });
  };
  attach(channel: StreamChannel, consumerInfo: ConsumerInfo): this {
    this.consumer = channel.connect(consumerInfo, this);
    return this;
  }
}

let channel: StreamChannel;
afterEach(() => channel?.closeAll());

describe('StreamChannel', () => {
  it('stages when the app has no consumer, and says so in hasConsumer', async () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 10_000 });
    expect(channel.hasConsumer('ns', 'app')).toBe(false);
    await expect(channel.deliver(trigger('a'))).resolves.toMatchObject({ kind: 'staged' });
  });

  it('numbers triggers per stream and settles them by result', async () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 10_000 });
    const a = new Recorder().attach(channel, info('app'));
    const first = channel.deliver(trigger('x'));
    const second = channel.deliver(trigger('y'));
    expect(a.sent).toEqual([{ id: 1, name: 'x' }, { id: 2, name: 'y' }]);
    expect(a.consumer.result(2, 'FAILED')).toBe(true);
    expect(a.consumer.result(1, 'SUCCESS')).toBe(true);
    expect(a.consumer.result(1, 'SUCCESS')).toBe(false); // answered already
    await expect(first).resolves.toMatchObject({ kind: 'done' });
    await expect(second).resolves.toMatchObject({ kind: 'failed' });
  });

  it('round-robins over the consumers of one app, and keeps apps apart', () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 10_000 });
    const a = new Recorder().attach(channel, info('app'));
    const b = new Recorder().attach(channel, info('app'));
    const other = new Recorder().attach(channel, info('other'));
    for (const name of ['1', '2', '3', '4']) void channel.deliver(trigger(name));
    expect(a.sent.map((s) => s.name)).toEqual(['1', '3']);
    expect(b.sent.map((s) => s.name)).toEqual(['2', '4']);
    expect(other.sent).toEqual([]);
  });

  it('a consumer that does not accept jobs is not a consumer of the app', () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 10_000 });
    new Recorder().attach(channel, info('app', { acceptsJobs: false, actorTypes: ['Cart'] }));
    expect(channel.hasConsumer('ns', 'app')).toBe(false);
    expect(channel.hasActorHost('ns', 'Cart')).toBe(true);
  });

  it('hands the triggers of a closed stream to another consumer, else reports them staged', async () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 10_000 });
    const a = new Recorder().attach(channel, info('app'));
    const b = new Recorder().attach(channel, info('app'));
    const onA = channel.deliver(trigger('x'));
    const onB = channel.deliver(trigger('y'));
    a.consumer.close();
    expect(b.sent.map((s) => s.name)).toEqual(['y', 'x']);
    b.consumer.result(2, 'SUCCESS');
    await expect(onA).resolves.toMatchObject({ kind: 'done' });
    b.consumer.close();
    await expect(onB).resolves.toMatchObject({ kind: 'staged' });
    expect(channel.hasConsumer('ns', 'app')).toBe(false);
  });

  it('a write that throws closes the stream and moves the trigger on', async () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 10_000 });
    const a = new Recorder().attach(channel, info('app'));
    a.broken = true;
    const outcome = channel.deliver(trigger('x'));
    expect(a.consumer.isOpen).toBe(false);
    await expect(outcome).resolves.toMatchObject({ kind: 'staged' });
  });

  it('an unanswered trigger fails after the delivery timeout; its late result is ignored', async () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 30 });
    const a = new Recorder().attach(channel, info('app'));
    const outcome: Outcome = await channel.deliver(trigger('x'));
    expect(outcome).toMatchObject({ kind: 'failed', detail: expect.stringContaining('within 30 ms') });
    expect(a.consumer.result(1, 'SUCCESS')).toBe(false);
  });

  it('one timer per stream: each trigger fails at its own deadline, a later one is still answerable', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      channel = new StreamChannel({ deliveryTimeoutMs: 50 });
      const a = new Recorder().attach(channel, info('app'));
      const settled: string[] = [];
      void channel.deliver(trigger('x')).then((o) => settled.push(`x ${o.kind}`));
      await vi.advanceTimersByTimeAsync(20);
      void channel.deliver(trigger('y')).then((o) => settled.push(`y ${o.kind}`));
      void channel.deliver(trigger('z')).then((o) => settled.push(`z ${o.kind}`));
      await vi.advanceTimersByTimeAsync(29);
      expect(settled).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toEqual(['x failed']);
      expect(a.consumer.result(3, 'SUCCESS')).toBe(true); // z answered in time
      await vi.advanceTimersByTimeAsync(19);
      expect(settled).toEqual(['x failed', 'z done']);
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toEqual(['x failed', 'z done', 'y failed']);
      expect(a.consumer.result(2, 'SUCCESS')).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds triggers back while the sink is full and writes them in order once drained', async () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 10_000 });
    const a = new Recorder().attach(channel, info('app'));
    let room = 2;
    const write = a.send;
    a.send = (id, t) => {
      write(id, t);
      return --room > 0;
    };
    const outcomes = ['a', 'b', 'c', 'd', 'e'].map((name) => channel.deliver(trigger(name)));
    expect(a.sent.map((s) => s.name)).toEqual(['a', 'b']);
    room = 2;
    a.consumer.drained();
    expect(a.sent.map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
    room = 10;
    a.consumer.drained();
    expect(a.sent).toEqual(['a', 'b', 'c', 'd', 'e'].map((name, i) => ({ id: i + 1, name })));
    for (let id = 1; id <= 5; id++) expect(a.consumer.result(id, 'SUCCESS')).toBe(true);
    for (const outcome of outcomes) await expect(outcome).resolves.toMatchObject({ kind: 'done' });
  });

  it('a trigger held back past its timeout fails and is not written when the stream drains', async () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 30 });
    const a = new Recorder().attach(channel, info('app'));
    const write = a.send;
    a.send = (id, t) => {
      write(id, t);
      return false;
    };
    const first = channel.deliver(trigger('first'));
    const held = channel.deliver(trigger('held'));
    await expect(held).resolves.toMatchObject({ kind: 'failed', detail: expect.stringContaining('within 30 ms') });
    await expect(first).resolves.toMatchObject({ kind: 'failed' });
    a.consumer.drained();
    expect(a.sent.map((s) => s.name)).toEqual(['first']);
    expect(channel.stats()).toEqual({ consumers: 1, inFlight: 0 });
  });

  it('tells listeners when a consumer connects; closeAll stages what is in flight', async () => {
    channel = new StreamChannel({ deliveryTimeoutMs: 10_000 });
    const seen: string[] = [];
    channel.onConsumerConnected((ns, app) => seen.push(`${ns}/${app}`));
    new Recorder().attach(channel, info('app'));
    new Recorder().attach(channel, info('app'));
    expect(seen).toEqual(['ns/app', 'ns/app']);
    const outcome = channel.deliver(trigger('x'));
    channel.closeAll();
    await expect(outcome).resolves.toMatchObject({ kind: 'staged' });
    expect(channel.stats()).toEqual({ consumers: 0, inFlight: 0 });
  });
});
