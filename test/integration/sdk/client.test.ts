// DuetimeClient against a real Duetime: every method, errors as DuetimeApiError, identity.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuetimeApiError, DuetimeClient, type Job } from '@duetime/sdk';
import { startNode, type Node } from '../support.js';

let node: Node;
let client: DuetimeClient;

beforeAll(async () => {
  node = await startNode();
  client = new DuetimeClient({ baseUrl: node.duetime.httpUrl, appId: 'sdk' });
  await node.call('PUT', '/v1.0/apps/sdk', { url: node.receiver.url }); // where the sdk app's triggers go
});
afterAll(async () => {
  await node?.close();
});

async function thrown(promise: Promise<unknown>): Promise<DuetimeApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DuetimeApiError);
  return error as DuetimeApiError;
}

describe('DuetimeClient', () => {
  it('schedule, get, delete', async () => {
    await client.schedule('report', { schedule: '@every 1h', repeats: 5, data: { to: 'ops' }, failurePolicy: { drop: {} } });
    const job = await client.get('report');
    expect(job).toMatchObject({ name: 'report', schedule: '@every 1h', repeats: 5, data: { to: 'ops' }, failurePolicy: { drop: {} }, status: { count: 0, state: 'active' } });
    await client.schedule('report', { dueTime: '1h', overwrite: true });
    expect((await client.get('report')).dueTime).toBe('1h');
    await client.delete('report');
    await client.delete('report'); // absent: fine
    const missing = await thrown(client.get('report'));
    expect([missing.status, missing.errorCode, missing.message]).toEqual([404, 'DAPR_SCHEDULER_GET_JOB', 'job "report" not found']);
  });

  it('errors carry status, Dapr error code, message and details', async () => {
    const invalid = await thrown(client.schedule('bad', { repeats: 2 }));
    expect([invalid.status, invalid.errorCode]).toEqual([400, 'DAPR_SCHEDULER_SCHEDULE_EMPTY']);
    expect(invalid.details).toEqual([
      expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'DAPR_SCHEDULER_SCHEDULE_EMPTY', domain: 'dapr.io' }),
      expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.BadRequest' }),
    ]);
    await client.schedule('taken', { dueTime: '1h' });
    expect((await thrown(client.schedule('taken', { dueTime: '1h' }))).status).toBe(409);
  });

  it('list pages with limit and cursor; listAll iterates every page', async () => {
    for (let i = 0; i < 7; i++) await client.schedule(`page-${i}`, { dueTime: '1h' });
    const first = await client.list({ prefix: 'page-', limit: 3 });
    expect(first.jobs.map((j) => j.name)).toEqual(['page-0', 'page-1', 'page-2']);
    expect(first.nextCursor).toBeDefined();
    const second = await client.list({ prefix: 'page-', limit: 3, cursor: first.nextCursor! });
    expect(second.jobs.map((j) => j.name)).toEqual(['page-3', 'page-4', 'page-5']);
    const names: string[] = [];
    for await (const job of client.listAll({ prefix: 'page-', pageSize: 2 })) names.push(job.name);
    expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    expect(await client.deleteByPrefix('page-')).toBe(7);
    expect((await client.list({ prefix: 'page-' })).jobs).toEqual([]);
  });

  it('pause, resume, trigger and history', async () => {
    await client.schedule('manual', { schedule: '@every 1h' });
    expect((await client.pause('manual')).status.state).toBe('paused');
    const triggered: Job = await client.trigger('manual');
    expect(triggered.status.manualTriggerPending).toBe(true);
    await node.receiver.waitFor(() => node.receiver.forJob('manual').length === 1, 20_000, 'the manual trigger');
    await expect.poll(async () => (await client.history('manual')).map((h) => [h.manual, h.outcome]), { timeout: 20_000 }).toEqual([[true, 'success']]);
    expect(await client.history('manual', { limit: 1 })).toHaveLength(1);
    expect((await client.resume('manual')).status.state).toBe('active');
  });

  it('deleteByPrefix with an empty prefix deletes every job of the app, and only of that app', async () => {
    const other = new DuetimeClient({ baseUrl: node.duetime.httpUrl, appId: 'sdk-other', namespace: 'elsewhere' });
    await other.schedule('kept', { dueTime: '1h' });
    await client.schedule('gone', { dueTime: '1h' });
    expect(await client.deleteByPrefix('')).toBeGreaterThanOrEqual(1);
    expect((await client.list()).jobs).toEqual([]);
    expect((await other.get('kept')).name).toBe('kept');
    expect((await thrown(new DuetimeClient({ baseUrl: node.duetime.httpUrl, appId: 'sdk-other' }).get('kept'))).status).toBe(404); // other namespace
  });

  it('sends the API token', async () => {
    const file = join(node.dataDir, 'tokens.yaml');
    writeFileSync(file, 'tokens:\n  - token: sdk-token\n    appId: sdk\n');
    const secured = await startNode({ configFile: file });
    try {
      const anonymous = new DuetimeClient({ baseUrl: secured.duetime.httpUrl });
      expect((await thrown(anonymous.list())).status).toBe(401);
      const withToken = new DuetimeClient({ baseUrl: secured.duetime.httpUrl, apiToken: 'sdk-token' });
      await withToken.schedule('t', { dueTime: '1h' });
      expect((await withToken.get('t')).name).toBe('t');
      expect((await thrown(new DuetimeClient({ baseUrl: secured.duetime.httpUrl, apiToken: 'sdk-token', appId: 'someone' }).get('t'))).status).toBe(403);
    } finally {
      await secured.close();
    }
  });
});
