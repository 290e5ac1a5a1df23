// State targets: at the due time the job's data is saved under the key in state.redis,
// state.postgresql and state.sqlite, each read back by a plain client of that store. With Redis
// or PostgreSQL stopped before the jobs are due, their retries save once it is back, and the
// values are there for a client connecting after the restart.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { createFileDatabase, type FileDatabase } from '../postgres-database.js';
import { sharedServer, type SharedServer } from '../shared-server.js';
import { dueIn, recordAttempts, startTargetNode, type TargetNode } from './helpers.js';
import { deliverAcrossOutage } from './outage.js';

let redis: LoopbackServer;
let pgServer: SharedServer;
let pgDatabase: FileDatabase;
let sqliteDir: string;
let node: TargetNode;

async function scheduleSave(name: string, store: string, key: string, data: unknown, beforeDue?: (dueAt: number) => Promise<void>): Promise<{ dueAt: number; savedAt: number }> {
  const attempts = recordAttempts(node, name);
  const { dueTime, dueAt } = dueIn(800);
  const res = await node.call('POST', `/v1.0/jobs/${name}`, { dueTime, data, target: { state: { store, key } } });
  expect(res.status).toBe(204);
  await beforeDue?.(dueAt);
  await attempts.waitFor((all) => all.length === 1);
  expect(attempts.attempts[0]).toMatchObject({ outcome: 'success', detail: `saved to ${store} key ${key}` });
  return { dueAt, savedAt: attempts.attempts[0]!.finishedAt };
}

beforeAll(async () => {
  // PostgreSQL: the run's shared server, in a database of this file's own.
  [redis, pgServer] = await Promise.all([startRedis(), sharedServer('postgres')]);
  pgDatabase = await createFileDatabase(pgServer);
  sqliteDir = mkdtempSync(join(tmpdir(), 'duetime-state-'));
  node = await startTargetNode(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: cache
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: "127.0.0.1:${redis.port}"
    - name: connectTimeout
      value: 1s
    - name: operationTimeout
      value: 3s
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pgstate
spec:
  type: state.postgresql
  version: v1
  metadata:
    - name: connectionString
      value: ${pgDatabase.url}
    - name: connectTimeout
      value: 1s
    - name: operationTimeout
      value: 3s
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: local
spec:
  type: state.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: ${join(sqliteDir, 'state.db')}
`);
});

afterAll(async () => {
  await node?.close();
  await Promise.all([redis?.stop(), pgDatabase?.drop()]);
  if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
});

describe('state targets', () => {
  it('state.redis: the data is under the key once due, not before', async () => {
    const client = new Redis({ host: '127.0.0.1', port: redis.port });
    try {
      await client.ping(); // connected before the job is scheduled, so the read below is quick
      let readBeforeDue: string | null | undefined;
      const { dueAt, savedAt } = await scheduleSave('cache-report', 'cache', 'report-latest', { total: 42, at: 'nightly' }, async (due) => {
        const value = await client.get('report-latest');
        // Only a reply that arrived before the due instant says anything about "not before"; on a
        // loaded machine the schedule call itself can take longer than the 800 ms lead.
        if (Date.now() < due) readBeforeDue = value;
      });
      expect(readBeforeDue ?? null).toBeNull();
      expect(savedAt).toBeGreaterThanOrEqual(dueAt);
      expect(Date.now()).toBeGreaterThanOrEqual(dueAt);
      expect(JSON.parse((await client.get('report-latest'))!)).toEqual({ total: 42, at: 'nightly' });
    } finally {
      client.disconnect();
    }
  });

  it('state.postgresql: the data is the row\'s jsonb value', async () => {
    await scheduleSave('pg-report', 'pgstate', 'report-latest', { rows: [1, 2, 3] });
    const client = new pg.Client({ connectionString: pgDatabase.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ value: unknown }>('SELECT value FROM state WHERE key = $1', ['report-latest']);
      expect(rows).toEqual([{ value: { rows: [1, 2, 3] } }]);
    } finally {
      await client.end();
    }
  });

  it('state.sqlite: the data is the row\'s JSON value; a job without data saves null', async () => {
    await scheduleSave('sqlite-report', 'local', 'report-latest', 'plain text');
    await scheduleSave('sqlite-empty', 'local', 'empty', undefined);
    const db = new Database(join(sqliteDir, 'state.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT key, value FROM state ORDER BY key').all() as Array<{ key: string; value: string }>;
      expect(rows.map((r) => [r.key, JSON.parse(r.value)])).toEqual([
        ['empty', null],
        ['report-latest', 'plain text'],
      ]);
    } finally {
      db.close();
    }
  });

  it('refuses an unknown store, naming the known ones', async () => {
    const res = await node.call('POST', '/v1.0/jobs/bad', { dueTime: '1s', target: { state: { store: 'nope', key: 'k' } } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('target.state.store "nope" is not a state store; known state stores: cache, local, pgstate');
  });
});

describe('state stores stopped mid-test', () => {
  const saves = (prefix: string, store: string) =>
    [1, 2].map((n) => ({ name: `${prefix}-outage-${n}`, data: { batch: n, store }, target: { state: { store, key: `${prefix}-outage-${n}` } } }));

  it('state.redis: fails the saves while Redis is down, shows it in /readyz, and saves each on a retry once back', async () => {
    const jobs = saves('redis', 'cache');
    const before = new Redis({ host: '127.0.0.1', port: redis.port });
    try {
      expect(await before.mget(...jobs.map((j) => j.name))).toEqual([null, null]);
    } finally {
      before.disconnect();
    }
    const done = await deliverAcrossOutage(node, redis, { component: 'cache', type: 'state.redis', jobs, firstDueInMs: 1500, maxRetries: 20 });
    expect(done.map((j) => j.success.detail)).toEqual(jobs.map((j) => `saved to cache key ${j.name}`));
    // A client of the restarted Redis (append-only file on): each value is there.
    const after = new Redis({ host: '127.0.0.1', port: redis.port });
    try {
      const values = await after.mget(...jobs.map((j) => j.name));
      expect(values.map((v) => JSON.parse(v!))).toEqual(jobs.map((j) => j.data));
    } finally {
      after.disconnect();
    }
  });

  it('state.postgresql: fails the saves while PostgreSQL is down, shows it in /readyz, and saves each on a retry once back', async () => {
    const jobs = saves('pg', 'pgstate');
    const done = await deliverAcrossOutage(node, pgServer, { component: 'pgstate', type: 'state.postgresql', jobs, firstDueInMs: 1500, maxRetries: 20 });
    expect(done.map((j) => j.success.detail)).toEqual(jobs.map((j) => `saved to pgstate key ${j.name}`));
    const client = new pg.Client({ connectionString: pgDatabase.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ key: string; value: unknown; insertdate: Date }>(
        'SELECT key, value, insertdate FROM state WHERE key = ANY($1) ORDER BY key',
        [jobs.map((j) => j.name)],
      );
      expect(rows.map((r) => [r.key, r.value])).toEqual(jobs.map((j) => [j.name, j.data]));
      // Written by the retry, so never before the job was due.
      for (const [i, row] of rows.entries()) expect(row.insertdate.getTime()).toBeGreaterThanOrEqual(done[i]!.dueAt);
    } finally {
      await client.end();
    }
  });
});
