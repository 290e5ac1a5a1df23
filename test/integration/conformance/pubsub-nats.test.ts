import { AckPolicy, jetstream, jetstreamManager, type Consumer } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { publisherConformance, type Subscription } from '../../conformance/publisher.suite.js';
import { freePort, startNats } from '../../../src/testing/servers/index.js';
import { registryFromYaml } from '../components/helpers.js';

// pubsub.nats (JetStream) against Debian's nats-server -js, with streamName set so the adapter
// creates the stream. The subscriber is a JetStream consumer (durable, filtered on the topic) of
// a separate connection, made on the first read (the stream exists once the adapter published to it), so a message is
// read back from the stream, not only seen in flight.

const CONNECT_MS = 1000;
const OPERATION_MS = 1500;
const STREAM = 'DUETIME_CONFORMANCE';

publisherConformance('pubsub.nats', async () => {
  const server = await startNats();
  const make = async (port: number) => {
    const registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.nats
  version: v1
  metadata:
    - name: natsURL
      value: nats://127.0.0.1:${port}
    - name: streamName
      value: ${STREAM}
    - name: connectTimeout
      value: ${CONNECT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_MS}ms
`);
    return registry.pubsubs.get('events')!;
  };
  return {
    componentName: 'events',
    label: 'pubsub "events" (pubsub.nats)',
    connectMs: CONNECT_MS,
    operationMs: OPERATION_MS,
    make: () => make(server.port),
    makeUnreachable: async () => make(await freePort()),
    subscribe: async (topic): Promise<Subscription> => {
      const nc = await connect({ servers: server.url, reconnect: false, timeout: 5000 });
      let consumer: Consumer | undefined;
      return {
        next: async (timeoutMs) => {
          if (consumer === undefined) {
            const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
            await jsm.consumers.add(STREAM, { durable_name: topic, ack_policy: AckPolicy.Explicit, filter_subject: topic });
            consumer = await jetstream(nc).consumers.get(STREAM, topic);
          }
          const msg = await consumer.next({ expires: timeoutMs });
          if (msg === null) throw new Error(`no message on ${topic} within ${timeoutMs} ms`);
          msg.ack();
          return Buffer.from(msg.data);
        },
        close: async () => {
          await nc.close().catch(() => undefined);
        },
      };
    },
    stopServer: () => server.down(),
    startServer: () => server.up(),
    cleanup: () => server.stop(),
  };
});
