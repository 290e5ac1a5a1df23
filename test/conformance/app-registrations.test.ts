// The AppRegistrations suite against every adapter: memory (handles share one space, as replicas
// share etcd), SQLite (each handle its own connection to one file) and a real etcd.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { EtcdAppRegistrations } from '../../src/adapters/store-etcd/etcd-app-registrations.js';
import { EtcdClient } from '../../src/adapters/store-etcd/etcd-client.js';
import { KeyLayout, prefixRange } from '../../src/adapters/store-etcd/key-layout.js';
import { MemoryAppRegistrations, MemoryRegistrationSpace } from '../../src/adapters/store-memory/memory-app-registrations.js';
import { SqliteAppRegistrations } from '../../src/adapters/store-sqlite/sqlite-app-registrations.js';
import { startEtcd, type EtcdServer } from '../../src/testing/servers/etcd.js';
import { appRegistrationsConformance } from './app-registrations.suite.js';

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
let etcd: EtcdServer;
let client: EtcdClient;
let prefixes = 0;

beforeAll(async () => {
  etcd = await startEtcd();
  client = new EtcdClient([`127.0.0.1:${etcd.port}`]);
}, 60_000);

afterAll(async () => {
  client?.close();
  await etcd?.stop();
});

appRegistrationsConformance(
  'etcd',
  async () => {
    const layout = new KeyLayout(`/apps-conformance-${++prefixes}/`);
    return {
      open: () => new EtcdAppRegistrations({ client, layout }),
      cleanup: async () => {
        const all = prefixRange(Buffer.from(layout.prefix));
        await client.txn({ compare: [], success: [{ requestDeleteRange: { key: all.start, rangeEnd: all.end } }], failure: [] });
      },
    };
  },
  { sharedFollow: true },
);
