import { connect, type ConsumeMessage } from 'amqplib';
import { publisherConformance, type Subscription } from '../../conformance/publisher.suite.js';
import { freePort } from '../../../src/testing/servers/index.js';
import { registryFromYaml } from '../components/helpers.js';
import { deleteRabbitMqObjects } from '../rabbitmq-cleanup.js';
import { sharedServer } from '../shared-server.js';

// pubsub.rabbitmq against Debian's rabbitmq-server; the subscriber binds an exclusive queue to
// the topic's durable fanout exchange, as a Dapr subscriber does, and consumes from it. The run's
// shared RabbitMQ; the topics' exchanges are deleted at the end (the queues go with their
// connections).

const CONNECT_MS = 2000;
const OPERATION_MS = 2000;

publisherConformance('pubsub.rabbitmq', async () => {
  const server = await sharedServer('rabbitmq');
  const topics: string[] = [];
  const make = async (port: number) => {
    const registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.rabbitmq
  version: v1
  metadata:
    - name: connectionString
      value: amqp://guest:guest@127.0.0.1:${port}
    - name: connectTimeout
      value: ${CONNECT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_MS}ms
`);
    return registry.pubsubs.get('events')!;
  };
  return {
    componentName: 'events',
    label: 'pubsub "events" (pubsub.rabbitmq)',
    connectMs: CONNECT_MS,
    operationMs: OPERATION_MS,
    make: () => make(server.port),
    makeUnreachable: async () => make(await freePort()),
    subscribe: async (topic): Promise<Subscription> => {
      topics.push(topic);
      const connection = await connect(server.url, { timeout: 5000 });
      connection.on('error', () => undefined);
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await channel.assertExchange(topic, 'fanout', { durable: true });
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, topic, '');
      const received: Buffer[] = [];
      const waiting: Array<() => void> = [];
      await channel.consume(
        queue,
        (msg: ConsumeMessage | null) => {
          if (msg === null) return;
          received.push(msg.content);
          waiting.shift()?.();
        },
        { noAck: true },
      );
      return {
        next: async (timeoutMs) => {
          if (received.length === 0) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, timeoutMs);
              waiting.push(() => {
                clearTimeout(timer);
                resolve();
              });
            });
          }
          const body = received.shift();
          if (body === undefined) throw new Error(`no message on exchange ${topic} within ${timeoutMs} ms`);
          return body;
        },
        close: async () => {
          await connection.close().catch(() => undefined);
        },
      };
    },
    stopServer: () => server.down(),
    startServer: () => server.up(),
    cleanup: () => deleteRabbitMqObjects(server.url, { exchanges: topics }),
  };
});
