// An app that is away (no endpoint, no stream) must never hold up another app. Before staging
// moved into the store, 50,001 staged one-shot jobs of an offline app filled every refill (the
// refill read the first refillLimit = 50,000 due jobs, all of them staged and held), and a live
// app's job scheduled beyond the look-ahead window was never delivered. Run on the embedded
// store and on a real etcd.
//
// The engine's refill limit is lowered (a test-only start option) so that REFILL_LIMIT + 1 staged
// jobs make the same shape as 50,001 at the default: more staged jobs than one refill reads. The
// release batch is lowered with it, so the release still walks many pages of staged triggers.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetimeConfig } from '../../src/config/config.js';
import { startDuetime, type RunningDuetime } from '../../src/main.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';
import { startEtcd, type EtcdServer } from '../../src/testing/servers/etcd.js';

const REFILL_LIMIT = 500;
const RELEASE_BATCH = 50;
const STAGED = REFILL_LIMIT + 1;
const CONCURRENCY = 64;

/** Schedules `count` one-shot jobs of `appId` due now over the HTTP API, CONCURRENCY at a time. */
async function scheduleMany(baseUrl: string, appId: string, count: number): Promise<void> {
  // An undici pool with kept-alive connections: the global fetch is several times slower.
  const pool = new Pool(baseUrl, { connections: CONCURRENCY });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const response = await pool.request({
        path: `/v1.0/jobs/o-${i}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'dapr-app-id': appId },
        body: '{"dueTime":"0s"}',
      });
      const text = await response.body.text();
      if (response.statusCode !== 204) throw new Error(`schedule o-${i}: ${response.statusCode} ${text}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    await pool.close();
  }
}

async function stagedCount(baseUrl: string, appId: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('duetime_staged_triggers{') && l.includes(`app_id="${appId}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

function suite(name: string, storeConfig: () => Partial<DuetimeConfig>): void {
  describe(`an offline app never holds up another (${name})`, () => {
    let duetime: RunningDuetime;
    let receiver: RecordingReceiver;
    let dataDir: string;

    beforeAll(async () => {
      receiver = await new RecordingReceiver().start();
      dataDir = mkdtempSync(join(tmpdir(), 'duetime-staging-'));
      duetime = await startDuetime(
        // The schedules go out at full speed: no per-app rate limit (--schedule-rate-per-app 0).
        { port: 0, grpcPort: 0, schedulerPort: 0, dataDir, appId: 'live', appUrl: receiver.url, lookahead: '2s', scheduleRatePerApp: 0, ...storeConfig() },
        { logger: pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' }), engine: { refillLimit: REFILL_LIMIT, releaseBatch: RELEASE_BATCH } },
      );
    });
    afterAll(async () => {
      await duetime?.stop();
      await receiver?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it(`${STAGED.toLocaleString('en')} staged triggers of an app with no endpoint; another app's job beyond the window arrives on time`, async () => {
      const base = duetime.httpUrl;
      await scheduleMany(base, 'offline', STAGED);
      await expect.poll(() => stagedCount(base, 'offline'), { timeout: 90_000, interval: 200 }).toBe(STAGED);
      // Staged triggers wait in the store, not in memory.
      expect(duetime.engine.stats().inMemory).toBeLessThan(STAGED / 5);

      // Beyond the 2 s look-ahead when it is scheduled, so only a refill can load it. 4 s ahead
      // leaves 2 s for the schedule request to land before the window reaches it (it takes
      // milliseconds; 6 s only added waiting, twice per run).
      const dueAt = Date.now() + 4_000;
      const scheduled = await fetch(`${base}/v1.0/jobs/on-time`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dueTime: new Date(dueAt).toISOString() }),
      });
      expect(scheduled.status).toBe(204);
      await receiver.waitFor(() => receiver.forJob('on-time').length === 1, 20_000, 'the live app job');
      const [delivery] = receiver.forJob('on-time');
      expect(delivery!.receivedAt).toBeGreaterThanOrEqual(dueAt);
      // On time: within the refill period plus slack for a loaded 2-core machine.
      expect(delivery!.receivedAt - dueAt).toBeLessThan(3_000);
      expect(receiver.received.filter((r) => r.path.startsWith('/job/o-'))).toHaveLength(0);

      // The offline app registers: every staged trigger goes out once. (Counted as they come:
      // filtering the whole ledger on every request would cost the test quadratic time.)
      const releasedPaths = new Set<string>();
      let releasedCount = 0;
      receiver.respond = (request) => {
        if (request.path.startsWith('/job/o-')) {
          releasedCount++;
          releasedPaths.add(request.path);
        }
        return { status: 200 };
      };
      const registered = await fetch(`${base}/v1.0/apps/offline`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: receiver.url }) });
      expect(registered.status).toBe(204);
      await receiver.waitFor(() => releasedCount >= STAGED, 120_000, 'the released triggers');
      expect(releasedPaths.size).toBe(STAGED);
      expect(receiver.earlyDeliveries()).toEqual([]);
      await expect.poll(() => stagedCount(base, 'offline'), { timeout: 30_000, interval: 200 }).toBe(0);
    }, 200_000);
  });
}

suite('SQLite', () => ({}));

let etcd: EtcdServer | undefined;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});
suite('etcd', () => ({ store: etcd!.storeUrl }));
