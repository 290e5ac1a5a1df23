// A server shared by the integration files of one run (test/integration/shared-servers.global.ts
// starts it on the first request and stops it at the end). It looks like the LoopbackServer a
// file would start itself, but stop() only forgets it: the server stays up for the next file.
// A file still removes what it made in it (its queues, exchanges...) in its afterAll.

import { inject } from 'vitest';
import type { LoopbackServer } from '../../src/testing/servers/index.js';
import type { SharedServerInfo, SharedServerKind } from './shared-servers.global.js';

export type SharedServer = Omit<LoopbackServer, 'dir' | 'logTail'>;

/** The run's shared server of this kind, up (started on the first call of the run). */
export async function sharedServer(kind: SharedServerKind): Promise<SharedServer> {
  const info = (await control(kind, 'acquire')) as SharedServerInfo;
  const down = async (): Promise<void> => void (await control(kind, 'down'));
  const up = async (): Promise<void> => void (await control(kind, 'up'));
  return {
    host: '127.0.0.1',
    port: info.port,
    url: info.url,
    startMs: info.startMs,
    down,
    up,
    restart: async () => {
      await down();
      await up();
    },
    stop: async () => undefined,
  };
}

async function control(kind: SharedServerKind, action: 'acquire' | 'down' | 'up'): Promise<unknown> {
  // Generous: the first acquire of a run boots the server (RabbitMQ waits up to two minutes).
  const response = await fetch(`${inject('sharedServers')}/${kind}/${action}`, { method: 'POST', signal: AbortSignal.timeout(180_000) });
  const body = (await response.json()) as { error?: string };
  if (!response.ok) throw new Error(`shared ${kind}: ${action} failed: ${body.error ?? response.status}`);
  return body;
}
