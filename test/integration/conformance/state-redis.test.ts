import { stateStoreConformance } from '../../conformance/state-store.suite.js';
import { freePort, startRedis } from '../../../src/testing/servers/index.js';
import { registryFromYaml } from '../components/helpers.js';

// state.redis against Debian's redis-server.

const CONNECT_MS = 1000;
const OPERATION_MS = 1000;

stateStoreConformance('state.redis', async () => {
  const server = await startRedis();
  const make = async (port: number) => {
    const registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: payloads
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: "127.0.0.1:${port}"
    - name: redisDB
      value: "3"
    - name: connectTimeout
      value: ${CONNECT_MS}ms
    - name: operationTimeout
      value: ${OPERATION_MS}ms
`);
    return registry.stateStores.get('payloads')!;
  };
  return {
    label: 'state "payloads" (state.redis)',
    // The wait for the connection (connect timeout), then one command (operation timeout).
    rejectWithinMs: CONNECT_MS + OPERATION_MS,
    make: () => make(server.port),
    server: {
      makeUnreachable: async () => make(await freePort()),
      stop: () => server.down(),
      start: () => server.up(),
    },
    cleanup: () => server.stop(),
  };
});
