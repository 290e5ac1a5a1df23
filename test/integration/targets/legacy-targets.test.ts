// Jobs stored before targets were typed: a SQLite file whose definitions hold the old
// `{kind:'other', type, spec}` target, written as the store wrote it then (its JSON), is opened by
// a real node. The jobs fire at their due time to the right place, GET shows the target as the
// user wrote it, and a stored spec that today's rules refuse still loads, fails its attempt with
// the reason and can be deleted.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../../src/adapters/store-sqlite/sqlite-job-store.js';
import { initialProgress } from '../../../src/core/engine/progression.js';
import type { JobDefinition } from '../../../src/core/model/job.js';
import { recordAttempts, startTargetNode, type TargetNode } from './helpers.js';

let dataDir: string;
let stateDir: string;
let node: TargetNode;
let dueAt: number;
let attempts: Record<'legacy-state' | 'legacy-invoke' | 'legacy-refused', ReturnType<typeof recordAttempts>>;

/** A definition as the store kept it before: the target `{kind:'other', type, spec}`. */
function oldDefinition(name: string, type: string, spec: Record<string, unknown>, data: unknown): JobDefinition {
  return {
    key: { namespace: 'default', appId: 'app', name },
    uid: `uid-${name}`,
    createdAt: dueAt - 60_000,
    dueTime: new Date(dueAt).toISOString(),
    dueAt,
    data,
    failurePolicy: { kind: 'drop' },
    failurePolicySource: { drop: {} },
    target: { kind: 'other', type, spec } as unknown as JobDefinition['target'],
    catchUp: 'all',
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'duetime-legacy-'));
  stateDir = mkdtempSync(join(tmpdir(), 'duetime-legacy-state-'));
  dueAt = Date.now() + 3000;
  const store = new SqliteJobStore({ path: join(dataDir, 'duetime.db') });
  for (const def of [
    oldDefinition('legacy-state', 'state', { store: 'local', key: 'legacy-key' }, { n: 1 }),
    // Not normalised, as users wrote it: the leading slash and the lower-case verb.
    oldDefinition('legacy-invoke', 'invoke', { appId: 'app', method: '/orders/close', verb: 'put' }, 'x'),
    // A spec no rule ever accepted (stored by hand, or by a rule since tightened).
    oldDefinition('legacy-refused', 'pubsub', { pubsubName: 'gone', topic: 't' }, null),
  ]) {
    await store.create({ def, progress: initialProgress(def, undefined) }, { overwrite: false });
  }
  await store.close();

  node = await startTargetNode(
    `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: local
spec:
  type: state.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: ${join(stateDir, 'state.db')}
`,
    { dataDir },
  );
  attempts = {
    'legacy-state': recordAttempts(node, 'legacy-state'),
    'legacy-invoke': recordAttempts(node, 'legacy-invoke'),
    'legacy-refused': recordAttempts(node, 'legacy-refused'),
  };
});

afterAll(async () => {
  await node?.close();
  for (const dir of [dataDir, stateDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('jobs stored with the old target shape', () => {
  it('show their target on GET exactly as it was written', async () => {
    expect((await node.call('GET', '/v1.0/jobs/legacy-state')).body.target).toEqual({ state: { store: 'local', key: 'legacy-key' } });
    expect((await node.call('GET', '/v1.0/jobs/legacy-invoke')).body.target).toEqual({ invoke: { appId: 'app', method: '/orders/close', verb: 'put' } });
    expect((await node.call('GET', '/v1.0/jobs/legacy-refused')).body.target).toEqual({ pubsub: { pubsubName: 'gone', topic: 't' } });
  });

  it('fire at their due time: the state target saves the data, the invoke target calls the method', async () => {
    await attempts['legacy-state'].waitFor((all) => all.length === 1);
    expect(attempts['legacy-state'].attempts[0]).toMatchObject({ outcome: 'success', detail: 'saved to local key legacy-key' });
    expect(attempts['legacy-state'].attempts[0]!.trigger.scheduledAt).toBe(dueAt);
    const db = new Database(join(stateDir, 'state.db'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT value FROM state WHERE key = ?').get('legacy-key') as { value: string } | undefined;
      expect(row && JSON.parse(row.value)).toEqual({ n: 1 });
    } finally {
      db.close();
    }

    await node.receiver.waitFor(() => node.receiver.received.some((r) => r.path === '/orders/close'));
    const call = node.receiver.received.find((r) => r.path === '/orders/close')!;
    expect(call.method).toBe('PUT');
    expect(JSON.parse(call.body)).toBe('x');
    expect(call.receivedAt).toBeGreaterThanOrEqual(dueAt);
    await attempts['legacy-invoke'].waitFor((all) => all.length === 1);
    expect(attempts['legacy-invoke'].attempts[0]!.outcome).toBe('success');
  });

  it('a stored spec today\'s rules refuse loads, fails its attempt naming the field, and can be deleted', async () => {
    await attempts['legacy-refused'].waitFor((all) => all.length === 1);
    expect(attempts['legacy-refused'].attempts[0]).toMatchObject({ outcome: 'dropped' });
    expect(attempts['legacy-refused'].attempts[0]!.detail).toMatch(/target\.pubsub\.pubsubName is not a known field/);
    expect((await node.call('DELETE', '/v1.0/jobs/legacy-refused')).status).toBe(204);
    expect((await node.call('GET', '/v1.0/jobs/legacy-refused')).status).toBe(404);
  });
});
