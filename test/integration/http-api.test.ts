// The HTTP API's contract: statuses, Dapr error bodies, listing, bulk delete, app isolation.

import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

let node: Node;
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node.close();
});

const far = { schedule: '@every 1h', dueTime: '2030-01-01T00:00:00Z' };

describe('schedule, get, delete', () => {
  it('GET returns Dapr\'s fields plus status', async () => {
    await node.call('POST', '/v1.0/jobs/get-me', { schedule: '0 30 * * * *', repeats: 5, ttl: '2031-01-01T00:00:00Z', data: { a: [1, 2] } });
    const res = await node.call('GET', '/v1.0/jobs/get-me');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'get-me',
      schedule: '0 30 * * * *',
      repeats: 5,
      ttl: '2031-01-01T00:00:00Z',
      data: { a: [1, 2] },
      failurePolicy: { constant: { interval: '1s', maxRetries: 3 } },
      status: { count: 0, attempts: 0, state: 'active' },
    });
    expect(Date.parse(res.body.status.nextTrigger) % (3600 * 1000)).toBe(30 * 60 * 1000);
  });

  it('stores the job under its key alone: namespace, app id and name', async () => {
    expect((await node.call('POST', '/v1.0/jobs/key-only', far, { 'dapr-app-id': 'keys' })).status).toBe(204);
    const db = new Database(join(node.dataDir, 'duetime.db'), { readonly: true });
    try {
      // The key is the row's key columns; the definition's JSON does not repeat it (schema version 5).
      const row = db.prepare("SELECT namespace, app_id, name, def FROM jobs WHERE app_id = 'keys' AND name = 'key-only'").get() as { namespace: string; app_id: string; name: string; def: string };
      expect({ namespace: row.namespace, appId: row.app_id, name: row.name }).toEqual({ namespace: 'default', appId: 'keys', name: 'key-only' });
      expect(JSON.parse(row.def)).not.toHaveProperty('key');
    } finally {
      db.close();
    }
  });

  it('409 for a taken name; overwrite replaces', async () => {
    expect((await node.call('POST', '/v1.0/jobs/dup', far)).status).toBe(204);
    const again = await node.call('POST', '/v1.0/jobs/dup', far);
    expect(again.status).toBe(409);
    expect(again.body.errorCode).toBe('DAPR_SCHEDULER_SCHEDULE_JOB');
    expect((await node.call('POST', '/v1.0/jobs/dup', { ...far, data: 2, overwrite: true })).status).toBe(204);
    expect((await node.call('GET', '/v1.0/jobs/dup')).body.data).toBe(2);
  });

  it('404 with Dapr\'s body for a missing job', async () => {
    const res = await node.call('GET', '/v1.0/jobs/missing');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ errorCode: 'DAPR_SCHEDULER_GET_JOB', message: expect.stringContaining('missing') });
  });

  it('refuses a body not sent as application/json (415; docs/security.md), creating nothing', async () => {
    // fetch sends a string body as text/plain, the shape of a cross-site "simple" request.
    const res = await fetch(`${node.duetime.httpUrl}/v1.0/jobs/no-ctype`, { method: 'POST', body: JSON.stringify(far) });
    expect(res.status).toBe(415);
    expect((await node.call('GET', '/v1.0/jobs/no-ctype')).status).toBe(404);
  });

  it('takes a body of whitespace alone (Unicode spaces and a BOM too) as no body; one that starts with whitespace is still parsed', async () => {
    await node.call('POST', '/v1.0/jobs/blank-body', far);
    for (const blank of [' ', '\r\n\t ', '\uFEFF', '\u00A0\u2028']) {
      // A route that needs no body answers as without one; scheduling needs one, and says which field.
      expect((await node.call('POST', '/v1.0/jobs/blank-body/pause', blank)).status).toBe(200);
      const schedule = await node.call('POST', '/v1.0/jobs/blank-schedule', blank);
      expect(schedule.status).toBe(400);
      expect(schedule.body).toMatchObject({ errorCode: 'DAPR_SCHEDULER_SCHEDULE_EMPTY', message: expect.stringContaining('schedule') });
    }
    expect((await node.call('POST', '/v1.0/jobs/padded-body', ` \n${JSON.stringify(far)}`)).status).toBe(204);
    expect((await node.call('POST', '/v1.0/jobs/bad-json', ' {"schedule":')).status).toBe(400);
  });
});

describe('bad input: 400 with a code and a message naming the field, nothing changed', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['no schedule or dueTime', { data: 1 }, 'DAPR_SCHEDULER_SCHEDULE_EMPTY', /schedule/],
    ['repeats 0', { schedule: '@every 1s', repeats: 0 }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /repeats/],
    ['repeats without schedule', { dueTime: '1s', repeats: 2 }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /repeats/],
    ['ttl without schedule', { dueTime: '1s', ttl: '1h' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /ttl/],
    ['ttl before dueTime', { schedule: '@every 1s', dueTime: '2030-01-01T00:00:00Z', ttl: '2029-01-01T00:00:00Z' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /ttl/],
    ['bad cron', { schedule: 'every now and then' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /schedule/],
    ['5-field cron', { schedule: '*/5 * * * *' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /second/i],
    ['bad dueTime', { dueTime: 'tomorrow' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /dueTime/],
    ['bad ttl', { schedule: '@every 1s', ttl: 'forever' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /ttl/],
    ['unknown zone', { schedule: 'CRON_TZ=Mars/Olympus 0 0 * * * *' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /Mars/],
    ['bad interval', { dueTime: '1s', failurePolicy: { constant: { interval: 'soon' } } }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /interval/],
    ['name in body', { name: 'x', dueTime: '1s' }, 'DAPR_SCHEDULER_JOB_NAME', /name/],
    ['unknown field', { dueTime: '1s', schedul: 'x' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', /schedul/],
    ['not an object', [1, 2], 'ERR_MALFORMED_REQUEST', /object/],
  ];
  for (const [what, body, code, message] of cases) {
    it(what, async () => {
      const res = await node.call('POST', '/v1.0/jobs/bad', body);
      expect(res.status).toBe(400);
      expect(res.body.errorCode).toBe(code);
      expect(res.body.message).toMatch(message);
      expect((await node.call('GET', '/v1.0/jobs/bad')).status).toBe(404);
    });
  }

  it('invalid JSON', async () => {
    const res = await node.call('POST', '/v1.0/jobs/bad', '{"dueTime":');
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe('ERR_MALFORMED_REQUEST');
  });

  const names: Array<[string, string, string]> = [
    ['blank', '%20%20', 'DAPR_SCHEDULER_JOB_NAME_EMPTY'],
    ['slash', 'a%2Fb', 'DAPR_SCHEDULER_JOB_NAME'],
    ['hash', 'a%23b', 'DAPR_SCHEDULER_JOB_NAME'],
    ['question mark', 'a%3Fb', 'DAPR_SCHEDULER_JOB_NAME'],
    ['backslash', 'a%5Cb', 'DAPR_SCHEDULER_JOB_NAME'],
    ['control character', 'a%01b', 'DAPR_SCHEDULER_JOB_NAME'],
    ['too long', 'x'.repeat(513), 'DAPR_SCHEDULER_JOB_NAME'],
  ];
  for (const [what, name, code] of names) {
    it(`name: ${what}`, async () => {
      const res = await node.call('POST', `/v1.0/jobs/${name}`, far);
      expect(res.status).toBe(400);
      expect(res.body.errorCode).toBe(code);
    });
  }

  it('a body over 4 MiB gets 413', async () => {
    const res = await node.call('POST', '/v1.0/jobs/huge', { dueTime: '1h', data: 'x'.repeat(4 * 1024 * 1024 + 10) });
    expect(res.status).toBe(413);
    expect(res.body.errorCode).toBe('ERR_MALFORMED_REQUEST');
    expect((await node.call('GET', '/v1.0/jobs/huge')).status).toBe(404);
  });
});

describe('list and bulk delete', () => {
  it('pages through an app\'s jobs by prefix and deletes by prefix', async () => {
    const h = { 'dapr-app-id': 'lister' };
    for (let i = 0; i < 25; i++) await node.call('POST', `/v1.0/jobs/batch-${String(i).padStart(2, '0')}`, far, h);
    await node.call('POST', '/v1.0/jobs/other-1', far, h);
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await node.call('GET', `/v1.0/jobs?prefix=batch-&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, h);
      expect(res.status).toBe(200);
      names.push(...res.body.jobs.map((j: { name: string }) => j.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(names).toHaveLength(25);
    expect(names).toEqual([...names].sort());
    const del = await node.call('DELETE', '/v1.0/jobs?prefix=batch-', undefined, h);
    expect(del.body.deleted).toBe(25);
    const rest = await node.call('GET', '/v1.0/jobs', undefined, h);
    expect(rest.body.jobs.map((j: { name: string }) => j.name)).toEqual(['other-1']);
    expect((await node.call('DELETE', '/v1.0/jobs?prefix=', undefined, h)).body.deleted).toBe(1);
  });

  it('rejects a bad limit', async () => {
    expect((await node.call('GET', '/v1.0/jobs?limit=0')).status).toBe(400);
    expect((await node.call('GET', '/v1.0/jobs?limit=abc')).status).toBe(400);
  });
});

describe('app isolation', () => {
  it('jobs of one app are invisible to, and cannot be changed by, another', async () => {
    const a = { 'dapr-app-id': 'app-a' };
    const b = { 'dapr-app-id': 'app-b' };
    await node.call('POST', '/v1.0/jobs/secret', { ...far, data: 'a' }, a);
    expect((await node.call('GET', '/v1.0/jobs/secret', undefined, b)).status).toBe(404);
    expect((await node.call('POST', '/v1.0/jobs/secret', { ...far, data: 'b' }, b)).status).toBe(204);
    await node.call('DELETE', '/v1.0/jobs/secret', undefined, b);
    expect((await node.call('DELETE', '/v1.0/jobs?prefix=', undefined, b)).status).toBe(200);
    expect((await node.call('POST', '/v1.0/jobs/secret/pause', undefined, b)).status).toBe(404);
    const mine = await node.call('GET', '/v1.0/jobs/secret', undefined, a);
    expect(mine.status).toBe(200);
    expect(mine.body.data).toBe('a');
    expect(mine.body.status.state).toBe('active');
  });
});

describe('health', () => {
  it('healthz, readyz and metrics answer', async () => {
    expect((await node.call('GET', '/healthz')).status).toBe(200);
    const ready = await node.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.ready).toBe(true);
    const metrics = await node.call('GET', '/metrics');
    expect(metrics.text).toContain('duetime_trigger_lateness_seconds');
  });
});
