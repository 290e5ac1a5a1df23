// Durability of the SQLite store across a crash and a clean restart, with a real child process
// and a real file. A write's promise resolving must mean the job survives SIGKILL.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/adapters/store-sqlite/index.js';
import type { HistoryEntry, JobKey, JobRecord } from '../../src/core/model/job.js';

const here = dirname(fileURLToPath(import.meta.url));
const writer = join(here, 'fixtures', 'sqlite-ack-writer.ts');
const ROOT = join(here, '..', '..');

/** Acked lines to wait for before the kill: enough to span several group commits. */
const KILL_AFTER_ACKS = 3_000;

function jobKey(i: number): JobKey {
  return { namespace: 'default', appId: 'durable', name: `job-${String(i).padStart(6, '0')}` };
}

describe('SqliteJobStore durability', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duetime-durability-'));
  });
  afterEach(async () => {
    // A failed test must not leave the writer running.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every acked create when the writer is killed with SIGKILL mid-stream', async () => {
    const path = join(dir, 'jobs.db');
    const writerProcess = spawn(process.execPath, ['--import', 'tsx', writer, path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child = writerProcess;
    let stderr = '';
    writerProcess.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const acked: number[] = [];
    let partial = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve, reject) => {
      writerProcess.on('error', reject);
      writerProcess.on('exit', (code, signal) => {
        if (signal === null) reject(new Error(`writer exited with code ${code} before the kill: ${stderr}`));
        else resolve(signal);
      });
    });
    writerProcess.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^acked (\d+)$/.exec(line);
        if (match) acked.push(Number(match[1]));
      }
      // Kill while writes are still in flight: a wave is queued behind the acks we just read.
      if (acked.length >= KILL_AFTER_ACKS && !writerProcess.killed) writerProcess.kill('SIGKILL');
    });

    expect(await exited).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

    const store = new SqliteJobStore({ path });
    try {
      const missing: number[] = [];
      for (const i of acked) {
        const record = await store.get(jobKey(i));
        if (record?.def.uid !== `uid-${i}`) missing.push(i);
      }
      expect(missing).toEqual([]);
      // Nothing is invented either: the file holds acked jobs and, at most, some unacked ones.
      const stored = await store.list('default', 'durable', { limit: 1_000_000 });
      expect(stored.records.length).toBeGreaterThanOrEqual(acked.length);
    } finally {
      await store.close();
    }
  });

  it('returns identical records, history and due order after close and reopen', async () => {
    const path = join(dir, 'jobs.db');
    const first = new SqliteJobStore({ path });
    const records: JobRecord[] = Array.from({ length: 50 }, (_, i) => ({
      def: {
        key: { namespace: 'ns', appId: 'app', name: `reopen-${i}-✓` },
        uid: `u-${i}`,
        createdAt: 1_000 + i,
        dueTime: '10s',
        dueAt: 11_000 + i,
        data: i % 2 ? { nested: [i, { s: 'ü' }] } : undefined,
        failurePolicy: { kind: 'constant', intervalMs: 1_000, maxRetries: 3 },
        failurePolicySource: { constant: { interval: '1s', maxRetries: 3 } },
        target: { kind: 'app' },
        catchUp: 'none',
      },
      progress: { rev: 1, count: 0, attempts: 0, state: i % 5 ? 'active' : 'paused', tickAt: 11_000 + i, nextAt: 11_000 + i },
    }));
    await Promise.all(records.map((r) => first.create(r, { overwrite: false })));
    const outcome: HistoryEntry = { scheduledAt: 11_000, at: 11_020, attempt: 2, outcome: 'failed', manual: false, detail: 'HTTP 503' };
    const r0 = records[1] as JobRecord;
    await first.commitProgress({ key: r0.def.key, uid: r0.def.uid, expectedRev: 1, progress: { ...r0.progress, rev: 2, attempts: 1 }, history: outcome });

    const before = {
      list: await first.list('ns', 'app', { limit: 100 }),
      due: await first.dueBefore(20_000, 100),
      history: await first.history(r0.def.key, 10),
    };
    await first.close();

    const second = new SqliteJobStore({ path });
    try {
      expect(await second.list('ns', 'app', { limit: 100 })).toStrictEqual(before.list);
      expect(await second.dueBefore(20_000, 100)).toStrictEqual(before.due);
      expect(await second.history(r0.def.key, 10)).toStrictEqual([outcome]);
      expect(before.list.records).toHaveLength(50);
      expect(before.due).toHaveLength(40);
    } finally {
      await second.close();
    }
  });
});
