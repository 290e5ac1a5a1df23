// One real etcd for a whole test file, and one client on it: started before the file's first
// test, closed and stopped after its last. Starting etcd takes seconds, so the files that test
// against it share one per file and give every store its own key prefix instead, which keeps
// their tests apart as well as a fresh server would.

import { afterAll, beforeAll } from 'vitest';
import { EtcdClient } from '../../src/adapters/store-etcd/etcd-client.js';
import { startEtcd, type EtcdServer } from '../../src/testing/servers/etcd.js';

export interface EtcdPerFile {
  /** The server; read it in tests and hooks, not at the file's top level (it starts in beforeAll). */
  readonly server: EtcdServer;
  /** A client on the server, shared by the file's stores. */
  readonly client: EtcdClient;
}

/** Registers the file's beforeAll and afterAll; call it once at a test file's top level. */
export function useEtcdPerFile(): EtcdPerFile {
  let server: EtcdServer | undefined;
  let client: EtcdClient | undefined;

  beforeAll(async () => {
    server = await startEtcd();
    client = new EtcdClient([`127.0.0.1:${server.port}`]);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  return {
    get server() {
      if (!server) throw new Error('etcd is not started yet: use it from a test or a hook');
      return server;
    },
    get client() {
      if (!client) throw new Error('etcd is not started yet: use it from a test or a hook');
      return client;
    },
  };
}
