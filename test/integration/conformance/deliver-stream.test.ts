import { delivererConformance, type ReceiverMode, type Seen } from '../../conformance/deliverer.suite.js';
import { StreamChannel } from '../../../src/adapters/deliver-stream/stream-channel.js';
import type { ConnectedConsumer } from '../../../src/core/ports/stream-consumers.js';

// Delivery to connected WatchJobs consumers. The receiver is a consumer registered with the
// channel through the StreamConsumers port, as api/grpc registers a stream: it sees each trigger
// its sink is given and answers SUCCESS or FAILED (or nothing). A stream has no 404; a stream
// whose write breaks closes, and its trigger, with no other consumer left, is staged.

const TIMEOUT_MS = 1000;
const INFO = { namespace: 'default', appId: 'worker', actorTypes: [], acceptsJobs: true, acceptsReminders: true };

delivererConformance('deliver-stream', async () => {
  const channel = new StreamChannel({ deliveryTimeoutMs: TIMEOUT_MS });
  let mode: ReceiverMode = 'accept';
  let seen: Seen[] = [];
  let consumer: ConnectedConsumer | undefined;
  const connect = (breaks: boolean): ConnectedConsumer => {
    const connected: ConnectedConsumer = channel.connect(INFO, {
      send: (id, trigger) => {
        if (breaks) throw new Error('stream write failed: connection reset');
        seen.push({ triggerId: trigger.triggerId, attempt: trigger.attempt, scheduledAt: trigger.scheduledAt, data: trigger.data });
        if (mode === 'silent') return;
        const status = mode === 'accept' ? 'SUCCESS' : 'FAILED';
        // The answer comes back on the stream later, as from a real client.
        setImmediate(() => connected.result(id, status));
      },
    });
    return connected;
  };
  return {
    deliverer: channel,
    timeoutMs: TIMEOUT_MS,
    trigger: (fields) => ({ key: { namespace: 'default', appId: 'worker', name: 'job-1' }, uid: 'u1', target: { kind: 'app' }, manual: false, ...fields }),
    answer: (m) => {
      mode = m;
    },
    aim: (where) => {
      consumer?.close();
      consumer = where === 'none' ? undefined : connect(where === 'refused');
    },
    drain: () => {
      const got = seen;
      seen = [];
      return got;
    },
    carriesData: true,
    unsupported: ['not-found'],
    differs: { refused: 'staged' },
    close: async () => channel.closeAll(),
    cleanup: async () => channel.closeAll(),
  };
});
