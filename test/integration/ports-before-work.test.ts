// Ports before work: a node that cannot bind one of its ports fails to start without delivering
// anything, even with overdue jobs on disk, and says which flag (and env twin) to change. The
// same node started once the port is free delivers them, so "nothing" is not for want of work.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetimeConfig } from '../../src/config/config.js';
import { startDuetime } from '../../src/main.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';

let receiver: RecordingReceiver;
const dirs: string[] = [];
const quiet = pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' });

beforeAll(async () => {
  receiver = await new RecordingReceiver().start();
});
afterAll(async () => {
  await receiver.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A data directory holding `count` one-shot jobs that are overdue by now. They are written by a
 * node that must stop before they fall due; on a loaded machine the calls and the stop can take
 * longer than the lead, so a try that ran late is dropped and the next has twice the lead.
 */
async function overdueJobs(prefix: string, count: number): Promise<{ dataDir: string; names: string[] }> {
  for (let attempt = 0, leadMs = 1_000; ; attempt += 1, leadMs *= 2) {
    const dataDir = mkdtempSync(join(tmpdir(), 'duetime-ports-'));
    dirs.push(dataDir);
    const node = await startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir, appId: 'app', appUrl: receiver.url }, { logger: quiet });
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${attempt}-${i}`);
    const dueAt = Date.now() + leadMs;
    const dueTime = new Date(dueAt).toISOString();
    for (const name of names) {
      const res = await fetch(`${node.httpUrl}/v1.0/jobs/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dueTime }) });
      expect(res.status).toBe(204);
    }
    await node.stop();
    if (Date.now() < dueAt) {
      await new Promise((resolve) => setTimeout(resolve, dueAt - Date.now() + 300));
      return { dataDir, names };
    }
    if (leadMs >= 8_000) throw new Error(`the node writing the jobs never stopped within ${leadMs} ms of scheduling them`);
  }
}

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    // No host: the wildcard address, which also covers 127.0.0.1 for every kind of listener.
    server.listen({ port: 0, exclusive: true }, () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

const cases: Array<{ setting: keyof DuetimeConfig; flag: string; env: string }> = [
  { setting: 'schedulerPort', flag: '--scheduler-port', env: 'DUETIME_SCHEDULER_PORT' },
  { setting: 'port', flag: '--port', env: 'DUETIME_PORT' },
  { setting: 'grpcPort', flag: '--grpc-port', env: 'DUETIME_GRPC_PORT' },
];

describe('a port that is taken', () => {
  for (const { setting, flag, env } of cases) {
    it(`${flag} taken: the start fails naming ${flag} and ${env}, and nothing is delivered`, async () => {
      const { dataDir, names } = await overdueJobs(setting, 3);
      const taken = await occupy();
      const config = { port: 0, grpcPort: 0, schedulerPort: 0, dataDir, appId: 'app', appUrl: receiver.url, [setting]: taken.port };
      try {
        const error = await startDuetime(config, { logger: quiet }).then(
          async (running) => {
            await running.stop();
            return undefined;
          },
          (e: unknown) => e,
        );
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // a delivery under way would land by now
        expect(names.flatMap((name) => receiver.forJob(name)).map((r) => r.path)).toEqual([]);
        expect(error, 'started although the port was taken').toBeInstanceOf(Error);
        expect((error as Error).message).toContain(flag);
        expect((error as Error).message).toContain(env);
        expect((error as Error).message).toContain(String(taken.port));
      } finally {
        await new Promise((resolve) => taken.server.close(resolve));
      }

      // The directory was let go and the jobs are still there: a start on free ports delivers them.
      const node = await startDuetime({ ...config, [setting]: 0 }, { logger: quiet });
      try {
        await receiver.waitFor(() => names.every((name) => receiver.forJob(name).length === 1), 20_000, 'the overdue jobs');
      } finally {
        await node.stop();
      }
    });
  }
});
