import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentRegistry } from '../../../src/adapters/components/index.js';
import type { Publisher } from '../../../src/core/ports/publisher.js';
import { startRedis, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { expectCloudEvent, registryFromYaml } from './helpers.js';

// pubsub.redis against Debian's redis-server: XADD through the adapter, XREAD by a plain client.
// What every publisher must do (a dead broker, reconnecting, close) is in the conformance suite
// (test/conformance/publisher.suite.ts, run by test/integration/conformance/pubsub-redis.test.ts).

const CONNECT_TIMEOUT_MS = 1000;
const OPERATION_TIMEOUT_MS = 1000;

let server: LoopbackServer;
let registry: ComponentRegistry;
let publisher: Publisher;
let reader: Redis;

/** Reads entries of a stream after `fromId` with a blocking XREAD, as a subscriber would. */
async function readStream(topic: string, fromId = '0'): Promise<Array<{ id: string; fields: Record<string, string> }>> {
  const reply = (await reader.xread('BLOCK', 10_000, 'STREAMS', topic, fromId)) ?? [];
  return (reply[0]?.[1] ?? []).map(([id, flat]) => {
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return { id, fields };
  });
}

beforeAll(async () => {
  server = await startRedis({ password: 's3cret' });
  registry = await registryFromYaml(
    `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.redis
  version: v1
  metadata:
    - name: redisHost
      value: "127.0.0.1:${server.port}"
    - name: redisPassword
      secretKeyRef:
        name: DUETIME_TEST_REDIS_PASSWORD
        key: DUETIME_TEST_REDIS_PASSWORD
    - name: maxLenApprox
      value: 1000
    - name: connectTimeout
      value: ${CONNECT_TIMEOUT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_TIMEOUT_MS}ms
`,
    { DUETIME_TEST_REDIS_PASSWORD: 's3cret' },
  );
  publisher = registry.pubsubs.get('events')!;
  reader = new Redis({ host: '127.0.0.1', port: server.port, password: 's3cret', lazyConnect: true, maxRetriesPerRequest: 1 });
  reader.on('error', () => undefined);
  await reader.connect();
});

afterAll(async () => {
  reader?.disconnect();
  await registry?.close();
  await server?.stop();
});

describe('pubsub.redis', () => {
  it('XADDs the CloudEvent to the stream named after the topic', async () => {
    await publisher.publish({ topic: 'orders', data: { order: 42, items: ['a', 'b'] }, metadata: {}, id: 'trig-1', source: 'shop' });
    const entries = await readStream('orders');
    expect(entries).toHaveLength(1);
    expect(Object.keys(entries[0]!.fields)).toEqual(['data']);
    expectCloudEvent(entries[0]!.fields.data!, { id: 'trig-1', source: 'shop', topic: 'orders', pubsubname: 'events', data: { order: 42, items: ['a', 'b'] } });
    expect(publisher.healthy()).toBe(true);
  });

  it('sends the data alone with rawPayload, and the metadata in its own field', async () => {
    await publisher.publish({ topic: 'raw', data: { plain: true }, metadata: { rawPayload: 'true' }, id: 'trig-2', source: 'shop' });
    const [entry] = await readStream('raw');
    expect(entry!.fields).toEqual({ data: '{"plain":true}', metadata: '{"rawPayload":"true"}' });
  });
});
