// Vitest global set-up of the integration project: servers that take seconds to boot (RabbitMQ
// ~8-16 s on 2 cores, PostgreSQL ~3-4 s with its initdb) are started once per run and shared by the files that use them, instead of
// once per file. This process owns them: test files reach them through a small HTTP control
// server on loopback (its URL is `provide`d as "sharedServers"; test/integration/shared-server.ts
// is the client), which starts a server on the first file's request and stops it, down()/up(),
// on a file's request. A run that never asks for one starts none. Teardown stops them all.
//
// Files run one at a time (fileParallelism: false), so one file at a time drives a shared server;
// each file removes what it made in it (queues, exchanges, its own database) so that files stay
// independent.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import type { LoopbackServer } from '../../src/testing/servers/index.js';
import { startPostgres, startRabbitMq } from '../../src/testing/servers/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the shared servers' control (test/integration/shared-server.ts). */
    sharedServers: string;
  }
}

/** What may be shared, and how each starts. */
const STARTERS = { rabbitmq: startRabbitMq, postgres: startPostgres } satisfies Record<string, () => Promise<LoopbackServer>>;
export type SharedServerKind = keyof typeof STARTERS;

/** What a file learns of a shared server. */
export interface SharedServerInfo {
  port: number;
  url: string;
  startMs: number;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers = new Map<SharedServerKind, Promise<LoopbackServer>>();
  // Whether each is down because a file asked: the next file's acquire brings it back up.
  const down = new Set<SharedServerKind>();

  const acquire = async (kind: SharedServerKind): Promise<LoopbackServer> => {
    let starting = servers.get(kind);
    if (starting === undefined) {
      starting = STARTERS[kind]();
      servers.set(kind, starting);
      // A failed boot is not kept: the next file tries again (and reports its own failure).
      starting.catch(() => servers.delete(kind));
    }
    const server = await starting;
    if (down.has(kind)) {
      await server.up();
      down.delete(kind);
    }
    return server;
  };

  const control: Server = createServer((req, res) => {
    const [, kind, action] = (req.url ?? '').split('/');
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || !(kind !== undefined && kind in STARTERS)) return answer(404, { error: `no shared server ${kind}` });
    const k = kind as SharedServerKind;
    const act = async (): Promise<unknown> => {
      const server = await acquire(k);
      switch (action) {
        case 'acquire':
          return { port: server.port, url: server.url, startMs: server.startMs } satisfies SharedServerInfo;
        case 'down':
          down.add(k);
          await server.down();
          return {};
        case 'up':
          // acquire() above brought it up.
          return {};
        default:
          throw new Error(`unknown action ${action}`);
      }
    };
    act().then(
      (body) => answer(200, body),
      (error: unknown) => answer(500, { error: error instanceof Error ? error.message : String(error) }),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  project.provide('sharedServers', `http://127.0.0.1:${(control.address() as AddressInfo).port}`);

  return async () => {
    await new Promise<void>((resolve) => control.close(() => resolve()));
    await Promise.allSettled([...servers.values()].map(async (starting) => (await starting).stop()));
  };
}
