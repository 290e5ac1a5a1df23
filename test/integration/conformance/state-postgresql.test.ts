import { stateStoreConformance } from '../../conformance/state-store.suite.js';
import { freePort } from '../../../src/testing/servers/index.js';
import { registryFromYaml } from '../components/helpers.js';
import { createFileDatabase } from '../postgres-database.js';
import { sharedServer } from '../shared-server.js';

// state.postgresql against Debian's PostgreSQL: the run's shared server (a fresh cluster on
// loopback), in a database of this file's own, dropped at the end.

const CONNECT_MS = 1000;
const OPERATION_MS = 1000;

stateStoreConformance('state.postgresql', async () => {
  const server = await sharedServer('postgres');
  const database = await createFileDatabase(server);
  const make = async (port: number) => {
    const registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pgstate
spec:
  type: state.postgresql
  version: v1
  metadata:
    - name: connectionString
      value: postgres://postgres@127.0.0.1:${port}/${database.name}
    - name: connectTimeout
      value: ${CONNECT_MS}ms
    - name: timeout
      value: ${OPERATION_MS}ms
    - name: healthCheckInterval
      value: 500ms
`);
    return registry.stateStores.get('pgstate')!;
  };
  return {
    label: 'state "pgstate" (state.postgresql)',
    // A connect, then the table check and the query, each with their own timeout.
    rejectWithinMs: CONNECT_MS + 2 * OPERATION_MS,
    make: () => make(server.port),
    server: {
      makeUnreachable: async () => make(await freePort()),
      stop: () => server.down(),
      start: () => server.up(),
    },
    cleanup: () => database.drop(),
  };
});
