// One writer per data directory (SPEC 9): a second server on the same embedded store exits at
// once, naming the directory and the process that holds it, and the holder goes on alone (an
// `@every 1s` job with repeats 3 is delivered 3 times, not 5). The lock is the OS's: a holder
// killed with -9 leaves nothing behind that blocks a restart.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDuetime } from '../../src/main.js';
import { spawnDuetime, type DuetimeProcess } from '../../src/testing/duetime-process.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';

let receiver: RecordingReceiver;
let dataDir: string;
const servers: DuetimeProcess[] = [];

beforeAll(async () => {
  receiver = await new RecordingReceiver().start();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.kill();
  rmSync(dataDir, { recursive: true, force: true });
});
afterAll(async () => {
  await receiver.stop();
});

const serve = (dir: string) => spawnDuetime(['--data-dir', dir, '--app-id', 'app', '--app-url', receiver.url, '--log-level', 'info']);
const quiet = pino({ level: 'silent' });

describe('one server per data directory', () => {
  it('refuses a second server process at once, naming the directory and the holder pid; the holder delivers each tick once', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'duetime-lock-'));
    const first = await serve(dataDir);
    servers.push(first);
    const res = await fetch(`${first.url}/v1.0/jobs/every`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schedule: '@every 1s', repeats: 3 }),
    });
    expect(res.status).toBe(204);

    const began = Date.now();
    const refused = await serve(dataDir).then(
      (second) => {
        servers.push(second);
        return undefined;
      },
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(refused, 'the second server started on the same data directory').toBeDefined();
    expect(refused).toMatch(/exited with 1 before serving/);
    expect(refused).toContain(dataDir);
    expect(refused).toContain(`pid ${first.child.pid}`);
    expect(Date.now() - began).toBeLessThan(20_000); // at once: no waiting for the lock

    await receiver.waitFor(() => receiver.forJob('every').length >= 3, 20_000, 'three ticks');
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // a fourth or fifth would show by now
    expect(receiver.forJob('every')).toHaveLength(3);
    expect(new Set(receiver.forJob('every').map((r) => r.headers['duetime-trigger-id'])).size).toBe(3);
  });

  it('starts again at once after the holder was killed with -9', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'duetime-lock-'));
    const first = await serve(dataDir);
    await first.kill('SIGKILL');
    const second = await serve(dataDir);
    servers.push(second);
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
  });

  it('refuses a second startDuetime in the same process, and frees the directory on stop', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'duetime-lock-'));
    const config = { port: 0, grpcPort: 0, schedulerPort: 0, dataDir };
    const first = await startDuetime(config, { logger: quiet });
    try {
      await expect(startDuetime(config, { logger: quiet })).rejects.toThrow(new RegExp(`${escape(dataDir)}.*pid ${process.pid}`, 's'));
    } finally {
      await first.stop();
    }
    const again = await startDuetime(config, { logger: quiet });
    await again.stop();
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
