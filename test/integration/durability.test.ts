// A crash loses no acknowledged job: kill -9 the server process, restart it on the same data,
// and every acknowledged job is there and delivered; finished jobs are not replayed.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDuetime, type DuetimeProcess } from '../../src/testing/duetime-process.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';

let receiver: RecordingReceiver;
let dataDir: string;
let server: DuetimeProcess | undefined;

beforeAll(async () => {
  receiver = await new RecordingReceiver().start();
  dataDir = mkdtempSync(join(tmpdir(), 'duetime-crash-'));
});
afterAll(async () => {
  await server?.kill();
  await receiver.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = () => spawnDuetime(['--data-dir', dataDir, '--app-id', 'app', '--app-url', receiver.url, '--log-level', 'info']);
const post = (base: string, name: string, body: unknown) =>
  fetch(`${base}/v1.0/jobs/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('kill -9 and restart', () => {
  it('delivers acknowledged jobs after a crash and does not replay finished ones', async () => {
    server = await start();
    const base = server.url;
    expect((await post(base, 'before-crash', { dueTime: '50ms', data: 'b' })).status).toBe(204);
    expect((await post(base, 'after-restart', { dueTime: '4s', data: 'a' })).status).toBe(204);
    expect((await post(base, 'recurring', { schedule: '@every 300ms', repeats: 1000 })).status).toBe(204);
    await receiver.waitFor(() => receiver.forJob('before-crash').length === 1 && receiver.forJob('recurring').length >= 2);
    // A burst of schedules, each acknowledged before the kill.
    const acked: string[] = [];
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const res = await post(base, `burst-${i}`, { dueTime: '5s', data: i });
        if (res.status === 204) acked.push(`burst-${i}`);
      }),
    );
    expect(acked).toHaveLength(300);
    await server.kill('SIGKILL');
    const recurringBefore = receiver.forJob('recurring').length;

    server = await start();
    await receiver.waitFor(() => receiver.forJob('after-restart').length === 1, 20_000, 'after-restart');
    await receiver.waitFor(() => acked.every((name) => receiver.forJob(name).length >= 1), 20_000, 'every acked burst job');
    await receiver.waitFor(() => receiver.forJob('recurring').length >= recurringBefore + 2, 20_000, 'recurring resumes');

    expect(receiver.forJob('before-crash')).toHaveLength(1); // finished before the crash: not replayed
    expect(receiver.earlyDeliveries()).toEqual([]);
    // The recurring job's ticks never go backwards: each scheduled instant is delivered, none skipped.
    const ticks = [...new Set(receiver.forJob('recurring').map((r) => r.scheduledAt!))].sort((a, b) => a - b);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(300);
  });

  it('SIGTERM lets a delivery in flight finish and commits its outcome before exiting', async () => {
    await server?.kill();
    server = await start();
    receiver.respond = (r) => (r.path === '/job/slow' ? { status: 200, delayMs: 1500 } : { status: 200 });
    expect((await post(server.url, 'slow', { dueTime: '10ms' })).status).toBe(204);
    await receiver.waitFor(() => receiver.forJob('slow').length === 1);
    const code = await server.kill('SIGTERM');
    expect(code).toBe(0);
    server = await start();
    const res = await fetch(`${server.url}/v1.0/jobs/slow`);
    // Finished and committed (its tombstone says so): nothing to replay.
    expect(((await res.json()) as { status: { state: string } }).status.state).toBe('completed');
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.forJob('slow')).toHaveLength(1);
  });
});

