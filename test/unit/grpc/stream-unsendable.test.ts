// A trigger the sink cannot encode (UnsendableTriggerError: data stored too deep) fails its own
// attempt with the reason; the consumer stays connected and takes the next trigger.

import { afterEach, expect, it } from 'vitest';
import { StreamChannel } from '../../../src/adapters/deliver-stream/stream-channel.js';
import type { Trigger } from '../../../src/core/model/trigger.js';
import { UnsendableTriggerError } from '../../../src/core/ports/stream-consumers.js';

const trigger = (name: string): Trigger => ({ key: { namespace: 'ns', appId: 'app', name }, uid: 'u', triggerId: `t-${name}`, scheduledAt: 0, attempt: 1, data: undefined, target: { kind: 'app' }, manual: false });

let channel: StreamChannel | undefined;
afterEach(() => channel?.closeAll());

it('an unsendable trigger fails alone; the stream keeps its consumer', async () => {
  channel = new StreamChannel({ deliveryTimeoutMs: 10_000 });
  const sent: string[] = [];
  const consumer = channel.connect(
    { namespace: 'ns', appId: 'app', actorTypes: [], acceptsJobs: true, acceptsReminders: true },
    {
      send: (_id, t) => {
        if (t.key.name === 'poison') throw new UnsendableTriggerError('nested too deep');
        sent.push(t.key.name);
      },
    },
  );
  await expect(channel.deliver(trigger('poison'))).resolves.toEqual({ kind: 'failed', detail: 'nested too deep' });
  expect(channel.hasConsumer('ns', 'app')).toBe(true);
  const next = channel.deliver(trigger('fine'));
  expect(sent).toEqual(['fine']);
  expect(consumer.result(2, 'SUCCESS')).toBe(true);
  await expect(next).resolves.toMatchObject({ kind: 'done' });
});
