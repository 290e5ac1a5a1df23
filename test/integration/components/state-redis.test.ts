import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentRegistry } from '../../../src/adapters/components/index.js';
import { startRedis, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { registryFromYaml } from './helpers.js';

// state.redis against Debian's redis-server: save/get/delete through the adapter, checked with
// a plain Redis client's GET. What every state store must do (JSON edge values, a dead server,
// close) is in test/conformance/state-store.suite.ts, run by test/integration/conformance/.

const CONNECT_TIMEOUT_MS = 1000;
const OPERATION_TIMEOUT_MS = 1000;

let server: LoopbackServer;
let registry: ComponentRegistry;
let client: Redis;

beforeAll(async () => {
  server = await startRedis();
  registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: payloads
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: 127.0.0.1:${server.port}
    - name: redisDB
      value: "2"
    - name: jobStateStore
      value: "true"
    - name: connectTimeout
      value: ${CONNECT_TIMEOUT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_TIMEOUT_MS}ms
`);
  client = new Redis({ host: '127.0.0.1', port: server.port, db: 2, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
});

afterAll(async () => {
  client?.disconnect();
  await registry?.close();
  await server?.stop();
});

describe('state.redis', () => {
  it('is the job state store the metadata names', () => {
    expect(registry.stateStores.get('payloads')?.jobStateStore).toBe(true);
    expect(registry.jobStateStoreName).toBe('payloads');
  });

  it('saves JSON under the key (read back by GET), gets it, and deletes it', async () => {
    const store = registry.stateStores.get('payloads')!;
    const value = { job: 'nightly', n: 1, nested: { list: [1, 'two', null] } };
    await store.save('app1||nightly', value);
    expect(JSON.parse((await client.get('app1||nightly'))!)).toEqual(value);
    expect(await store.get('app1||nightly')).toEqual(value);

    await store.save('app1||nightly', 'replaced');
    expect(await client.get('app1||nightly')).toBe('"replaced"');

    await store.delete('app1||nightly');
    expect(await client.get('app1||nightly')).toBeNull();
    expect(await store.get('app1||nightly')).toBeUndefined();
    await expect(store.delete('never-saved')).resolves.toBeUndefined();
  });
});
