import { Redis } from 'ioredis';
import { publisherConformance, type Subscription } from '../../conformance/publisher.suite.js';
import { freePort, startRedis } from '../../../src/testing/servers/index.js';
import { registryFromYaml } from '../components/helpers.js';

// pubsub.redis against Debian's redis-server; the subscriber is a plain ioredis client reading
// the stream with a blocking XREAD.

const CONNECT_MS = 1000;
const OPERATION_MS = 1000;

publisherConformance('pubsub.redis', async () => {
  const server = await startRedis();
  const make = async (port: number) => {
    const registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.redis
  version: v1
  metadata:
    - name: redisHost
      value: "127.0.0.1:${port}"
    - name: connectTimeout
      value: ${CONNECT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_MS}ms
`);
    return registry.pubsubs.get('events')!;
  };
  return {
    componentName: 'events',
    label: 'pubsub "events" (pubsub.redis)',
    connectMs: CONNECT_MS,
    operationMs: OPERATION_MS,
    make: () => make(server.port),
    makeUnreachable: async () => make(await freePort()),
    subscribe: async (topic): Promise<Subscription> => {
      const reader = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
      reader.on('error', () => undefined);
      await reader.connect();
      let lastId = '0';
      const pending: Buffer[] = [];
      return {
        next: async (timeoutMs) => {
          if (pending.length === 0) {
            const reply = (await reader.xreadBuffer('COUNT', 100, 'BLOCK', timeoutMs, 'STREAMS', topic, lastId)) ?? [];
            for (const [id, flat] of reply[0]?.[1] ?? []) {
              lastId = id.toString();
              const at = flat.findIndex((f, i) => i % 2 === 0 && f.toString() === 'data');
              pending.push(flat[at + 1]!);
            }
          }
          const body = pending.shift();
          if (body === undefined) throw new Error(`no entry on stream ${topic} within ${timeoutMs} ms`);
          return body;
        },
        close: async () => reader.disconnect(),
      };
    },
    stopServer: () => server.down(),
    startServer: () => server.up(),
    cleanup: () => server.stop(),
  };
});
