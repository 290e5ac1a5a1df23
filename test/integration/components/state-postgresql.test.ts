import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentRegistry } from '../../../src/adapters/components/index.js';
import { createFileDatabase, type FileDatabase } from '../postgres-database.js';
import { sharedServer, type SharedServer } from '../shared-server.js';
import { registryFromYaml } from './helpers.js';

// state.postgresql against Debian's PostgreSQL: save/get/delete through the adapter, checked
// with plain SQL. What every state store must do (JSON edge values, a dead server, close) is in
// test/conformance/state-store.suite.ts, run by test/integration/conformance/. The run's shared
// PostgreSQL, in a database of this file's own, dropped at the end.

const CONNECT_TIMEOUT_MS = 1000;
const OPERATION_TIMEOUT_MS = 1000;

let server: SharedServer;
let database: FileDatabase;
let registry: ComponentRegistry;

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  server = await sharedServer('postgres');
  database = await createFileDatabase(server);
  await query('CREATE SCHEMA jobs');
  registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pgstate
spec:
  type: state.postgresql
  version: v1
  metadata:
    - name: connectionString
      value: ${database.url}
    - name: connectTimeout
      value: ${CONNECT_TIMEOUT_MS}ms
    - name: timeout
      value: ${OPERATION_TIMEOUT_MS}ms
    - name: healthCheckInterval
      value: 500ms
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pgpayloads
spec:
  type: state.postgresql
  version: v1
  metadata:
    - name: connectionString
      value: "host=127.0.0.1 port=${server.port} user=postgres password='' dbname=${database.name} application_name='duetime test'"
    - name: tableName
      value: jobs.payloads
`);
});

afterAll(async () => {
  await registry?.close();
  await database?.drop();
});

describe('state.postgresql', () => {
  it('creates the state table and saves the value as jsonb, gets it, deletes it', async () => {
    const store = registry.stateStores.get('pgstate')!;
    expect(store.jobStateStore).toBe(false);
    const value = { job: 'nightly', list: [1, 2, 3], text: 'é ü ✓' };
    await store.save('app1||nightly', value);

    const rows = await query<{ value: unknown; isbinary: boolean }>('SELECT value, isbinary FROM state WHERE key = $1', ['app1||nightly']);
    expect(rows).toEqual([{ value, isbinary: false }]);
    const [typed] = await query<{ t: string }>(`SELECT jsonb_typeof(value) AS t FROM state WHERE key = 'app1||nightly'`);
    expect(typed?.t).toBe('object');
    expect(await store.get('app1||nightly')).toEqual(value);

    await store.save('app1||nightly', 42);
    const [updated] = await query<{ value: unknown; updatedate: Date | null }>('SELECT value, updatedate FROM state WHERE key = $1', ['app1||nightly']);
    expect(updated?.value).toBe(42);
    expect(updated?.updatedate).toBeInstanceOf(Date);

    await store.delete('app1||nightly');
    expect(await query('SELECT 1 FROM state WHERE key = $1', ['app1||nightly'])).toEqual([]);
    expect(await store.get('app1||nightly')).toBeUndefined();
  });

  it('uses the table that tableName names, schema included, with a libpq key/value connection string', async () => {
    const store = registry.stateStores.get('pgpayloads')!;
    await store.save('p', [true, null]);
    expect(await query('SELECT key, value FROM jobs.payloads')).toEqual([{ key: 'p', value: [true, null] }]);
  });

  it('stores a value jsonb cannot hold (NUL, a lone surrogate) as Dapr stores bytes: base64 of its JSON, isbinary', async () => {
    const store = registry.stateStores.get('pgstate')!;
    const value = { text: 'a\u0000b', half: '\ud800' };
    await store.save('binary', value);
    const [row] = await query<{ value: unknown; isbinary: boolean }>('SELECT value, isbinary FROM state WHERE key = $1', ['binary']);
    expect(row?.isbinary).toBe(true);
    expect(Buffer.from(row?.value as string, 'base64').toString()).toBe(JSON.stringify(value));
    expect(await store.get('binary')).toEqual(value);
    await store.save('binary', { plain: true });
    expect(await query('SELECT value, isbinary FROM state WHERE key = $1', ['binary'])).toEqual([{ value: { plain: true }, isbinary: false }]);
    expect(store.healthy()).toBe(true);
  });
});
