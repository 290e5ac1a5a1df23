// jobStateStore: with a state store marked jobStateStore "true", a job's data lives there and
// not in the scheduler's SQLite file; GET, list and the trigger read it back; delete, overwrite
// and finishing remove it; a store that cannot be read fails the attempt, and the retry after it
// is back delivers the data.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LoopbackServer } from '../../../src/testing/servers/index.js';
import { recordAttempts, startTargetNode, waitForReadyz, type TargetNode } from './helpers.js';

let redis: LoopbackServer;
let node: TargetNode;
let client: Redis;

const payloadKeys = (name: string): Promise<string[]> => client.keys(`duetime||default||app||${name}||*`);

/** Every text of every row of every table of the scheduler's SQLite file, and the raw file bytes. */
function schedulerFileContains(marker: string): { inRows: boolean; inBytes: boolean } {
  const path = join(node.dataDir, 'duetime.db');
  const db = new Database(path, { readonly: true, fileMustExist: true });
  let inRows = false;
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all()) {
        if (JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : v)).includes(marker)) inRows = true;
      }
    }
  } finally {
    db.close();
  }
  const inBytes = [path, `${path}-wal`].some((file) => existsSync(file) && readFileSync(file).includes(marker));
  return { inRows, inBytes };
}

beforeAll(async () => {
  redis = await startRedis();
  node = await startTargetNode(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: payloads
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: "127.0.0.1:${redis.port}"
    - name: jobStateStore
      value: "true"
    - name: connectTimeout
      value: 500ms
    - name: operationTimeout
      value: 1s
`);
  client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  await client.connect();
});

afterAll(async () => {
  client?.disconnect();
  await node?.close();
  await redis?.stop();
});

describe('jobStateStore', () => {
  it('keeps the data in the state store, not in the scheduler\'s SQLite file; GET and list return it', async () => {
    const marker = 'secret-payload-7f3a9c';
    const res = await node.call('POST', '/v1.0/jobs/stash', { dueTime: '1h', data: { card: marker, amount: 12 } });
    expect(res.status).toBe(204);
    const keys = await payloadKeys('stash');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^duetime\|\|default\|\|app\|\|stash\|\|[0-9a-f-]{36}$/);
    expect(JSON.parse((await client.get(keys[0]!))!)).toEqual({ card: marker, amount: 12 });
    expect(schedulerFileContains(marker)).toEqual({ inRows: false, inBytes: false });
    expect(schedulerFileContains('stash').inRows).toBe(true); // the job itself is there

    const got = await node.call('GET', '/v1.0/jobs/stash');
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual({ card: marker, amount: 12 });
    expect(got.body).not.toHaveProperty('dataRef');
    const list = await node.call('GET', '/v1.0/jobs?prefix=stash');
    expect(list.body.jobs[0].data).toEqual({ card: marker, amount: 12 });
    const paused = await node.call('POST', '/v1.0/jobs/stash/pause');
    expect(paused.body.data).toEqual({ card: marker, amount: 12 });
  });

  it('removes the old payload on overwrite and the payload on delete', async () => {
    const [oldKey] = await payloadKeys('stash');
    expect((await node.call('POST', '/v1.0/jobs/stash', { dueTime: '1h', data: 'second', overwrite: true })).status).toBe(204);
    await expect.poll(() => payloadKeys('stash')).toHaveLength(1);
    const [newKey] = await payloadKeys('stash');
    expect(newKey).not.toBe(oldKey);
    expect((await node.call('GET', '/v1.0/jobs/stash')).body.data).toBe('second');
    const refused = await node.call('POST', '/v1.0/jobs/stash', { dueTime: '1h', data: 'third' });
    expect(refused.status).toBe(409);
    await expect.poll(() => payloadKeys('stash')).toEqual([newKey]);

    expect((await node.call('DELETE', '/v1.0/jobs/stash')).status).toBe(204);
    await expect.poll(() => payloadKeys('stash')).toEqual([]);

    await node.call('POST', '/v1.0/jobs/batch-1', { dueTime: '1h', data: 1 });
    await node.call('POST', '/v1.0/jobs/batch-2', { dueTime: '1h', data: 2 });
    await node.call('POST', '/v1.0/jobs/nodata', { dueTime: '1h' });
    expect(await payloadKeys('nodata')).toEqual([]);
    expect(await client.keys('duetime||default||app||batch-*')).toHaveLength(2);
    expect((await node.call('DELETE', '/v1.0/jobs?prefix=batch-')).body).toEqual({ deleted: 2 });
    await expect.poll(() => client.keys('duetime||default||app||batch-*')).toEqual([]);
  });

  it('reads the data back at trigger time, and removes it when the job finishes', async () => {
    const attempts = recordAttempts(node, 'deliver-me');
    await node.call('POST', '/v1.0/jobs/deliver-me', { schedule: '@every 300ms', repeats: 2, data: { hello: 'from the state store' } });
    expect(await payloadKeys('deliver-me')).toHaveLength(1);
    await node.receiver.waitFor(() => node.receiver.forJob('deliver-me').length === 2);
    for (const call of node.receiver.forJob('deliver-me')) expect(JSON.parse(call.body)).toEqual({ hello: 'from the state store' });
    await attempts.waitFor((all) => all.length === 2);
    // Its tombstone stays (--tombstone-ttl), shown without the payload the store no longer holds.
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/deliver-me')).body?.status?.state).toBe('completed');
    await expect.poll(() => payloadKeys('deliver-me')).toEqual([]);
  });

  it('passes the data to component targets too', async () => {
    await node.call('POST', '/v1.0/jobs/copy', { dueTime: '0s', data: { copied: true }, target: { state: { store: 'payloads', key: 'copy-target' } } });
    await expect.poll(() => client.get('copy-target')).toBe('{"copied":true}');
    const bad = await node.call('POST', '/v1.0/jobs/x', { dueTime: '0s', target: { state: { store: 'payloads', key: 'duetime||default||app||stash||x' } } });
    expect(bad.status).toBe(400);
  });

  it('fails the attempt while the store cannot be read (GET: 503), and delivers on the retry once it is back', async () => {
    const attempts = recordAttempts(node, 'outage');
    await node.call('POST', '/v1.0/jobs/outage', { dueTime: '1h', data: { kept: 'safe' }, failurePolicy: { constant: { interval: '300ms', maxRetries: 100 } } });
    await redis.down();
    await waitForReadyz(node, (status, body) => status === 503 && body.checks['component:payloads']?.ok === false);
    const get = await node.call('GET', '/v1.0/jobs/outage');
    expect(get.status).toBe(503);
    expect(get.body.message).toMatch(/state store "payloads" could not read the job's data/);
    const refused = await node.call('POST', '/v1.0/jobs/not-stored', { dueTime: '1h', data: 1 });
    expect(refused.status).toBe(503);
    expect(refused.body.message).toMatch(/could not save the job's data.*the job was not stored/);
    expect((await node.call('GET', '/v1.0/jobs/not-stored')).status).toBe(404);
    // A manual trigger now, while the store is down: its attempts fail and are retried.
    expect((await node.call('POST', '/v1.0/jobs/outage/trigger')).status).toBe(200);

    await attempts.waitFor((all) => all.filter((a) => a.outcome === 'failed').length >= 2, 30_000, 'failed attempts');
    expect(attempts.attempts[0]!.detail).toMatch(/state store "payloads" could not read the job's data \(key duetime\|\|default\|\|app\|\|outage\|\|/);
    expect(node.receiver.forJob('outage')).toHaveLength(0);

    await redis.up();
    await node.receiver.waitFor(() => node.receiver.forJob('outage').length === 1, 30_000);
    expect(JSON.parse(node.receiver.forJob('outage')[0]!.body)).toEqual({ kept: 'safe' });
    await waitForReadyz(node, (status) => status === 200);
  });
});
