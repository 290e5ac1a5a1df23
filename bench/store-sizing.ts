// What a job, a history entry and a staged trigger cost on disk, in the SQLite store and in etcd,
// measured through the JobStore port (the writes the server makes), for docs/sizing.md:
//
//   node --expose-gc --import tsx bench/store-sizing.ts [jobs=100000] [parts=window,sqlite,etcd]
//   (also window-etcd: the held jobs' heap with the etcd store; not in the default parts)
//
// For each store: `jobs` one-shot jobs are created as POST /v1.0/jobs/{name} makes them (the
// request parser, a random UUID, initialProgress; names in order, due across next year); then a
// tenth of them get 10 history entries each (progress commits with a history entry, as the
// engine writes after each tick of a recurring job); then another tenth are staged (a progress
// commit with staged: true, as when their app has no consumer). After each step the store's size
// is read:
// - SQLite: the pages its tables and indexes use (dbstat), on a file on the project's disk.
// - etcd (Debian's etcd-server on loopback, started as the tests do): dbSizeInUse from the
//   maintenance status after compacting to the current revision and defragmenting, so it counts
//   the live keys only; etcd keeps every revision of every key until compacted, and the size
//   before compaction is printed too (what an etcd without --auto-compaction-* grows to).
// And what a job costs in memory while it is due within the look-ahead window (the only jobs the
// engine holds): the engine is started in this process on a SQLite file of `jobs` jobs all due
// within its window (look-ahead 1 h, jobs due 30 min ahead) with a deliverer that is never reached,
// and V8's heap used after a full GC is read before the start and once every job is held.
// Prints one JSON object: bytes per job, per history entry and per staged trigger for each store,
// and heap bytes per job held in the window.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EtcdClient } from '../src/adapters/store-etcd/etcd-client.js';
import { EtcdJobStore } from '../src/adapters/store-etcd/etcd-job-store.js';
import { KeyLayout } from '../src/adapters/store-etcd/key-layout.js';
import { SqliteJobStore } from '../src/adapters/store-sqlite/index.js';
import { initialProgress } from '../src/core/engine/progression.js';
import { parseJobRequest } from '../src/core/model/job-request.js';
import type { JobRecord } from '../src/core/model/job.js';
import type { JobStore } from '../src/core/ports/job-store.js';
import { startEtcd } from '../src/testing/servers/etcd.js';
import { systemClock } from '../src/core/clock.js';
import { Engine } from '../src/core/engine/engine.js';
import { PROJECT_DIR } from './lib/duetime-server.js';

const jobs = Number(process.argv[2] ?? 100_000);
const parts = new Set((process.argv[3] ?? 'window,sqlite,etcd').split(','));
const HISTORY_PER_JOB = 10;
const CONCURRENCY = 1_000;

function record(i: number, now: number): JobRecord {
  const name = `size-${String(i).padStart(9, '0')}`;
  const dueTime = new Date(now + 86_400_000 + i * 60_000).toISOString();
  const { def } = parseJobRequest({ namespace: 'default', appId: 'app', name }, { dueTime, data: { n: 1 } }, now, randomUUID());
  return { def, progress: initialProgress(def, undefined) };
}

/** Runs write(i) for i in [from, to), CONCURRENCY at a time (the store batches them). */
async function each(from: number, to: number, write: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = from; start < to; start += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, to - start) }, (_, k) => write(start + k)));
  }
}

interface Steps {
  /** Bytes after each step. */
  empty: number;
  jobs: number;
  history: number;
  staged: number;
  /** Extra per-step readings (etcd: before compaction). */
  notes?: Record<string, number>;
}

async function measure(store: JobStore, size: () => Promise<number>, notes: Record<string, number> = {}): Promise<Steps> {
  const now = Date.now();
  const records = Array.from({ length: jobs }, (_, i) => record(i, now));
  const empty = await size();
  await each(0, jobs, (i) => store.create(records[i]!, { overwrite: false }));
  const afterJobs = await size();
  const tenth = Math.floor(jobs / 10);
  for (let h = 0; h < HISTORY_PER_JOB; h++) {
    await each(0, tenth, async (i) => {
      const r = records[i]!;
      const progress = { ...r.progress, rev: r.progress.rev + 1, count: r.progress.count + 1, lastTrigger: r.progress.tickAt };
      const ok = await store.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: r.progress.rev, progress, history: { scheduledAt: r.progress.tickAt ?? now, at: now, attempt: 1, outcome: 'success', manual: false } });
      if (!ok) throw new Error(`history commit refused for ${r.def.key.name}`);
      r.progress = progress;
    });
  }
  const afterHistory = await size();
  await each(tenth, 2 * tenth, async (i) => {
    const r = records[i]!;
    const progress = { ...r.progress, rev: r.progress.rev + 1, staged: true };
    if (!(await store.commitProgress({ key: r.def.key, uid: r.def.uid, expectedRev: r.progress.rev, progress }))) throw new Error('staging refused');
  });
  const afterStaged = await size();
  return { empty, jobs: afterJobs, history: afterHistory, staged: afterStaged, notes };
}

function perItem(steps: Steps): { perJob: number; perHistoryEntry: number; perStaged: number } {
  const tenth = Math.floor(jobs / 10);
  return {
    perJob: Math.round((steps.jobs - steps.empty) / jobs),
    perHistoryEntry: Math.round((steps.history - steps.jobs) / (tenth * HISTORY_PER_JOB)),
    perStaged: Math.round((steps.staged - steps.history) / tenth),
  };
}

async function sqlite(): Promise<object> {
  const dir = mkdtempSync(join(PROJECT_DIR, '.tmp', 'sizing-'));
  const path = join(dir, 'duetime.db');
  const store = new SqliteJobStore({ path });
  // Pages in use by every table and index, from a second connection (after the store's commits).
  const size = async (): Promise<number> => {
    const db = new Database(path, { readonly: true });
    try {
      return (db.prepare('SELECT sum(pgsize) AS bytes FROM dbstat').get() as { bytes: number }).bytes;
    } finally {
      db.close();
    }
  };
  try {
    const steps = await measure(store, size);
    return { ...perItem(steps), steps };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function etcd(): Promise<object> {
  const server = await startEtcd();
  const client = new EtcdClient([`127.0.0.1:${server.port}`]);
  const store = new EtcdJobStore({ client, layout: new KeyLayout('/duetime/'), partitionCount: 256 });
  const call = async (path: string, body: object = {}): Promise<Record<string, unknown>> => {
    const response = await fetch(`${server.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`etcd ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const uncompacted: Record<string, number> = {};
  let step = 0;
  const size = async (): Promise<number> => {
    const status = await call('/v3/maintenance/status');
    uncompacted[`step${step++}`] = Number(status.dbSize);
    const revision = (status.header as { revision: string }).revision;
    if (Number(revision) > 1) await call('/v3/kv/compaction', { revision, physical: true });
    await call('/v3/maintenance/defragment');
    return Number((await call('/v3/maintenance/status')).dbSizeInUse);
  };
  try {
    const steps = await measure(store, size, uncompacted);
    return { ...perItem(steps), steps, uncompactedDbSize: uncompacted };
  } finally {
    await store.close();
    client.close();
    await server.stop();
  }
}

/** The window measurement on the SQLite store (part `window`). */
async function window(): Promise<object> {
  const dir = mkdtempSync(join(PROJECT_DIR, '.tmp', 'sizing-window-'));
  const store = new SqliteJobStore({ path: join(dir, 'duetime.db') });
  try {
    return await heldJobHeap(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same on the etcd store (part `window-etcd`): one engine and store in this process, as a replica holds its jobs, without a cluster's partition bookkeeping. */
async function windowEtcd(): Promise<object> {
  const server = await startEtcd();
  const client = new EtcdClient([`127.0.0.1:${server.port}`]);
  const store = new EtcdJobStore({ client, layout: new KeyLayout('/duetime/'), partitionCount: 256 });
  try {
    return await heldJobHeap(store);
  } finally {
    await store.close();
    client.close();
    await server.stop();
  }
}

/** Creates `jobs` jobs due in 30 min, starts an engine holding them all, and answers the heap each one adds. */
async function heldJobHeap(store: JobStore): Promise<object> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const now = Date.now();
  await each(0, jobs, (i) => {
    const { def } = parseJobRequest({ namespace: 'default', appId: 'app', name: `w-${String(i).padStart(9, '0')}` }, { dueTime: new Date(now + 1_800_000).toISOString(), data: { n: 1 } }, now, randomUUID());
    return store.create({ def, progress: initialProgress(def, undefined) }, { overwrite: false });
  });
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const engine = new Engine(store, { deliver: () => Promise.reject(new Error('not due in this measurement')) }, systemClock, { lookaheadMs: 3_600_000, refillIntervalMs: 60_000, refillLimit: jobs });
  const before = heap();
  await engine.start();
  for (let waited = 0; engine.stats().inMemory < jobs && waited < 60_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  const held = engine.stats().inMemory;
  const after = heap();
  await engine.stop();
  return { held, heapBytesPerHeldJob: Math.round((after - before) / held) };
}

console.log(
  JSON.stringify(
    {
      jobs,
      historyPerJob: HISTORY_PER_JOB,
      ...(parts.has('window') ? { window: await window() } : {}),
      ...(parts.has('window-etcd') ? { windowEtcd: await windowEtcd() } : {}),
      ...(parts.has('sqlite') ? { sqlite: await sqlite() } : {}),
      ...(parts.has('etcd') ? { etcd: await etcd() } : {}),
    },
    null,
    2,
  ),
);
