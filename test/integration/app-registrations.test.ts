// App registrations are stored with the jobs (SPEC 5, issue 8): an app registered through
// PUT /v1.0/apps/{appId} on a single node (SQLite) is still registered after the node restarts on
// the same data directory, so its triggers go out without registering again; a DELETE sticks too.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetimeConfig } from '../../src/config/config.js';
import { startDuetime, type RunningDuetime } from '../../src/main.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';

let receiver: RecordingReceiver;
let dataDir: string;
let node: RunningDuetime | undefined;

beforeAll(async () => {
  receiver = await new RecordingReceiver().start();
  dataDir = mkdtempSync(join(tmpdir(), 'duetime-apps-'));
});
afterAll(async () => {
  await node?.stop();
  await receiver.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A node on the shared data directory; the default app ("app") has no --app-url unless given. */
const start = (config: Partial<DuetimeConfig> = {}): Promise<RunningDuetime> =>
  startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir, appId: 'app', ...config }, { logger: pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' }) });

async function call(method: string, path: string, appId: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${node!.httpUrl}${path}`, {
    method,
    headers: { 'dapr-app-id': appId, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const listed = async (appId: string): Promise<string[]> => ((await call('GET', '/v1.0/apps', appId)).body as { apps: Array<{ appId: string }> }).apps.map((a) => a.appId).sort();

describe('app registrations on one node (SQLite)', () => {
  it('survive a restart: triggers are delivered afterwards without registering again', async () => {
    node = await start();
    expect((await call('PUT', '/v1.0/apps/orders', 'orders', { url: `${receiver.url}/orders`, actorTypes: ['Cart'] })).status).toBe(204);
    expect((await call('PUT', '/v1.0/apps/gone', 'gone', { url: `${receiver.url}/gone` })).status).toBe(204);
    expect((await call('DELETE', '/v1.0/apps/gone', 'gone')).status).toBe(204);
    // Due after the restart below; scheduled now, while the node knows the app.
    expect((await call('POST', '/v1.0/jobs/after-restart', 'orders', { dueTime: '4s', data: 'later' })).status).toBe(204);
    await node.stop();
    node = undefined;

    node = await start();
    expect(await listed('orders')).toEqual(['orders']);
    const apps = (await call('GET', '/v1.0/apps', 'orders')).body as { apps: Array<{ appId: string; url: string; actorTypes: string[] }> };
    expect(apps.apps).toEqual([{ appId: 'orders', url: `${receiver.url}/orders`, actorTypes: ['Cart'] }]);
    await receiver.waitFor(() => receiver.received.some((r) => r.path === '/orders/job/after-restart'), 30_000, 'the trigger after the restart');
    const delivered = receiver.received.filter((r) => r.path === '/orders/job/after-restart');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.body).toBe('"later"');
    expect(receiver.earlyDeliveries()).toEqual([]);
    // A job scheduled after the restart goes out too.
    expect((await call('POST', '/v1.0/jobs/fresh', 'orders', { dueTime: '100ms' })).status).toBe(204);
    await receiver.waitFor(() => receiver.received.some((r) => r.path === '/orders/job/fresh'), 30_000, 'a new job after the restart');
    // The unregistered app stays unregistered.
    expect(receiver.received.filter((r) => r.path.startsWith('/gone/'))).toEqual([]);
    expect(await listed('gone')).not.toContain('gone');
  });

  it('writes --app-url at start, and a registration through the API replaces it', async () => {
    await node?.stop();
    node = await start({ appUrl: `${receiver.url}/flag` });
    expect(await listed('app')).toContain('app');
    expect((await call('PUT', '/v1.0/apps/app', 'app', { url: `${receiver.url}/api` })).status).toBe(204);
    await node.stop();
    // Started without the flag: the stored registration (the API's) is what it uses.
    node = await start();
    const apps = (await call('GET', '/v1.0/apps', 'app')).body as { apps: Array<{ appId: string; url: string }> };
    expect(apps.apps.find((a) => a.appId === 'app')?.url).toBe(`${receiver.url}/api`);
    expect((await call('POST', '/v1.0/jobs/via-api-url', 'app', { dueTime: '100ms' })).status).toBe(204);
    await receiver.waitFor(() => receiver.received.some((r) => r.path === '/api/job/via-api-url'), 30_000, 'delivery to the stored url');
  });

  it('answers 503 when the store cannot take the write, and 400 for a registration over the limits', async () => {
    await node?.stop();
    node = await start();
    // Another connection holds the write lock past the busy timeout (5 s): a real SQLITE_BUSY.
    const blocker = new Database(join(dataDir, 'duetime.db'));
    blocker.exec('BEGIN IMMEDIATE');
    try {
      const refused = await call('PUT', '/v1.0/apps/blocked', 'blocked', { url: `${receiver.url}/blocked` });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ errorCode: 'ERR_STORE_UNAVAILABLE' });
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    expect(await listed('blocked')).not.toContain('blocked');
    expect((await call('PUT', '/v1.0/apps/blocked', 'blocked', { url: `${receiver.url}/blocked` })).status).toBe(204);
    expect((await call('PUT', '/v1.0/apps/huge', 'huge', { url: `http://127.0.0.1/${'x'.repeat(3000)}` })).status).toBe(400);
    expect((await call('PUT', '/v1.0/apps/huge', 'huge', { url: receiver.url, actorTypes: Array.from({ length: 300 }, (_, i) => `T${i}`) })).status).toBe(400);
  });
});
