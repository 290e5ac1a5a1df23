import { connectAsync } from 'mqtt';
import { publisherConformance, type Subscription } from '../../conformance/publisher.suite.js';
import { freePort, startMosquitto } from '../../../src/testing/servers/index.js';
import { registryFromYaml } from '../components/helpers.js';

// pubsub.mqtt3 against Debian's mosquitto; the subscriber is a plain MQTT client (qos 2).

const CONNECT_MS = 1000;
const OPERATION_MS = 1000;

publisherConformance('pubsub.mqtt3', async () => {
  const server = await startMosquitto();
  const make = async (port: number) => {
    const registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.mqtt3
  version: v1
  metadata:
    - name: url
      value: tcp://127.0.0.1:${port}
    - name: qos
      value: 1
    - name: connectTimeout
      value: ${CONNECT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_MS}ms
`);
    return registry.pubsubs.get('events')!;
  };
  return {
    componentName: 'events',
    label: 'pubsub "events" (pubsub.mqtt3)',
    connectMs: CONNECT_MS,
    operationMs: OPERATION_MS,
    make: () => make(server.port),
    makeUnreachable: async () => make(await freePort()),
    subscribe: async (topic): Promise<Subscription> => {
      const client = await connectAsync(server.url, { reconnectPeriod: 0, connectTimeout: 5000 });
      client.on('error', () => undefined);
      const queue: Buffer[] = [];
      const waiting: Array<() => void> = [];
      client.on('message', (_topic, body) => {
        queue.push(body);
        waiting.shift()?.();
      });
      await client.subscribeAsync(topic, { qos: 2 });
      return {
        next: async (timeoutMs) => {
          if (queue.length === 0) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, timeoutMs);
              waiting.push(() => {
                clearTimeout(timer);
                resolve();
              });
            });
          }
          const body = queue.shift();
          if (body === undefined) throw new Error(`no message on ${topic} within ${timeoutMs} ms`);
          return body;
        },
        close: async () => {
          await client.endAsync(true).catch(() => undefined);
        },
      };
    },
    stopServer: () => server.down(),
    startServer: () => server.up(),
    cleanup: () => server.stop(),
  };
});
