// Store failures at the edge: while the SQLite file cannot be written (here another connection
// holds its write lock past the busy timeout: SQLITE_BUSY) a schedule is answered 503 with a
// Dapr-style body, never 500, and /readyz reports the store not ready; once the lock is gone
// both recover. The server is a real process, the lock a real SQLite connection.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnDuetime, type DuetimeProcess } from '../../src/testing/duetime-process.js';

let dataDir: string;
let server: DuetimeProcess;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'duetime-store-errors-'));
  server = await spawnDuetime(['--data-dir', dataDir, '--app-id', 'app', '--log-level', 'info']);
});
afterAll(async () => {
  await server?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

const schedule = (name: string) =>
  fetch(`${server.url}/v1.0/jobs/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dueTime: '1h' }) });

describe('a store that cannot be written', () => {
  it('answers 503 with a Dapr error body and is not ready, then recovers', async () => {
    expect((await schedule('before')).status).toBe(204);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    const intruder = new Database(join(dataDir, 'duetime.db'));
    try {
      intruder.exec('BEGIN IMMEDIATE'); // the write lock, held until ROLLBACK below
      const res = await schedule('during'); // waits out the busy timeout (5 s), then fails
      const body = (await res.json()) as { errorCode: string; message: string };
      expect(res.status).toBe(503);
      expect(body.errorCode).toBe('ERR_STORE_UNAVAILABLE');
      expect(body.message).toMatch(/store/i);

      const ready = await fetch(`${server.url}/readyz`);
      const report = (await ready.json()) as { ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> };
      expect(ready.status).toBe(503);
      expect(report.ready).toBe(false);
      expect(report.checks.store?.ok).toBe(false);
    } finally {
      intruder.exec('ROLLBACK');
      intruder.close();
    }

    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await schedule('after')).status).toBe(204);
    expect((await fetch(`${server.url}/v1.0/jobs/during`)).status).toBe(404); // the refused write left nothing
  });
});
