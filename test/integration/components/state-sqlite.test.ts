import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentRegistry } from '../../../src/adapters/components/index.js';
import { registryFromYaml } from './helpers.js';

// state.sqlite: save/get/delete through the adapter, checked by a second connection to the file.
// What every state store must do (JSON edge values, close) is in test/conformance/state-store.suite.ts.

let dir: string;
let registry: ComponentRegistry;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-sqlite-state-'));
  registry = await registryFromYaml(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: local
spec:
  type: state.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: "file:${join(dir, 'state.db')}?_pragma=busy_timeout(1000)"
    - name: jobStateStore
      value: "true"
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: other
spec:
  type: state.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: ${join(dir, 'other.db')}
    - name: tableName
      value: job_payloads
`);
});

afterAll(async () => {
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

function readRow(file: string, table: string, key: string): { value: string; is_binary: number; etag: string } | undefined {
  const db = new Database(join(dir, file), { readonly: true });
  try {
    return db.prepare(`SELECT value, is_binary, etag FROM ${table} WHERE key = ?`).get(key) as
      | { value: string; is_binary: number; etag: string }
      | undefined;
  } finally {
    db.close();
  }
}

describe('state.sqlite', () => {
  it('saves JSON text in the state table, gets it, deletes it', async () => {
    const store = registry.stateStores.get('local')!;
    expect(store.jobStateStore).toBe(true);
    expect(store.healthy()).toBe(true);
    const value = { job: 'nightly', nested: { n: 1.5, s: 'x' } };
    await store.save('app1||nightly', value);
    const row = readRow('state.db', 'state', 'app1||nightly');
    expect(JSON.parse(row!.value)).toEqual(value);
    expect(row!.is_binary).toBe(0);
    expect(await store.get('app1||nightly')).toEqual(value);

    await store.save('app1||nightly', null);
    const replaced = readRow('state.db', 'state', 'app1||nightly');
    expect(replaced!.value).toBe('null');
    expect(replaced!.etag).not.toBe(row!.etag);

    await store.delete('app1||nightly');
    expect(readRow('state.db', 'state', 'app1||nightly')).toBeUndefined();
    expect(await store.get('app1||nightly')).toBeUndefined();
  });

  it('uses the table that tableName names', async () => {
    const store = registry.stateStores.get('other')!;
    await store.save('k', 'v');
    expect(readRow('other.db', 'job_payloads', 'k')?.value).toBe('"v"');
  });
});
