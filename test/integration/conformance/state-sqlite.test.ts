import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateStoreConformance } from '../../conformance/state-store.suite.js';
import { registryFromYaml } from '../components/helpers.js';

// state.sqlite on a file in a temp dir. SQLite is in-process: there is no server to lose, so
// the suite's dead-server part does not apply.

stateStoreConformance('state.sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-sqlite-state-conformance-'));
  return {
    label: 'state "local" (state.sqlite)',
    rejectWithinMs: 0,
    make: async () => {
      const registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: local
spec:
  type: state.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: ${join(dir, 'state.db')}
`);
      return registry.stateStores.get('local')!;
    },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
