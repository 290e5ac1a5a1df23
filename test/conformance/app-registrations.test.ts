// The AppRegistrations suite against every adapter: memory (handles share one space, as replicas
// share etcd), SQLite (each handle its own connection to one file) and a real etcd.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdAppRegistrations } from '../../src/adapters/store-etcd/etcd-app-registrations.js';
import { KeyLayout, prefixRange } from '../../src/adapters/store-etcd/key-layout.js';
import { MemoryAppRegistrations, MemoryRegistrationSpace } from '../../src/adapters/store-memory/memory-app-registrations.js';
import { SqliteAppRegistrations } from '../../src/adapters/store-sqlite/sqlite-app-registrations.js';
import { appRegistrationsConformance } from './app-registrations.suite.js';
import { useEtcdPerFile } from './etcd-per-file.js';

appRegistrationsConformance(
  'memory',
  async () => {
    const space = new MemoryRegistrationSpace();
    return { open: () => new MemoryAppRegistrations(space), cleanup: async () => undefined };
  },
  { sharedFollow: true },
);

appRegistrationsConformance(
  'sqlite',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duetime-apps-'));
    const path = join(dir, 'duetime.db');
    return { open: () => new SqliteAppRegistrations({ path }), cleanup: () => rm(dir, { recursive: true, force: true }) };
  },
  { sharedFollow: false },
);

// One real etcd for the file; every storage gets a fresh key prefix.
const etcd = useEtcdPerFile();
let prefixes = 0;

appRegistrationsConformance(
  'etcd',
  async () => {
    const layout = new KeyLayout(`/apps-conformance-${++prefixes}/`);
    return {
      open: () => new EtcdAppRegistrations({ client: etcd.client, layout }),
      cleanup: async () => {
        const all = prefixRange(Buffer.from(layout.prefix));
        await etcd.client.txn({ compare: [], success: [{ requestDeleteRange: { key: all.start, rangeEnd: all.end } }], failure: [] });
      },
    };
  },
  { sharedFollow: true },
);
