// The schedule lane (src/api/http/schedule-lane.ts) takes only the plain schedule request and
// leaves every other to Fastify untouched; what it takes it answers as the route would (204 once
// JobsService's promise resolves, errors through error-mapping.ts). A real node:http server whose
// handler answers 599 for whatever the lane declines, and a JobsService stand-in that records.

import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsService } from '../../../src/app/jobs-service.js';
import type { JobKey } from '../../../src/core/model/job.js';
import type { CheckList, RawPass } from '../../../src/api/http/request-checks.js';
import { createScheduleLane, type ScheduleLane } from '../../../src/api/http/schedule-lane.js';
import { TokenSet } from '../../../src/app/token-set.js';

const DECLINED = 599;
const BODY_LIMIT = 100;
const identity = { defaultAppId: 'app', defaultNamespace: 'default', tokens: new TokenSet() };

let server: Server;
let lane: ScheduleLane;
let port: number;
const checks: CheckList = { checks: [], passes: [] };
const scheduled: Array<{ key: JobKey; body: unknown }> = [];
/** What the stand-in's next schedule() does instead of resolving. */
let nextFailure: Error | undefined;

beforeAll(async () => {
  const jobs = {
    schedule(key: JobKey, body: unknown): Promise<void> {
      const failure = nextFailure;
      nextFailure = undefined;
      if (failure) return Promise.reject(failure);
      scheduled.push({ key, body });
      return Promise.resolve();
    },
  } as unknown as JobsService;
  lane = createScheduleLane({ jobs, identity, bodyLimit: BODY_LIMIT, logger: pino({ level: 'silent' }), checks, maxNameLength: 20 });
  server = createServer((req, res) => {
    if (lane.take(req, res)) return;
    req.resume();
    res.writeHead(DECLINED);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

interface Sent {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Send the body chunked (no content-length). */
  chunked?: boolean;
}

function send({ method = 'POST', path = '/v1.0/jobs/a', headers = {}, body = '{"dueTime":"1h"}', chunked = false }: Sent): Promise<{ status: number; body: string }> {
  const all: Record<string, string> = { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }), ...headers };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (chunked) {
      req.write(body.slice(0, 3));
      req.end(body.slice(3));
    } else req.end(body);
  });
}

function withPasses<T>(passes: Array<RawPass | undefined>, run: () => Promise<T>): Promise<T> {
  checks.passes.push(...passes);
  return run().finally(() => checks.passes.splice(0));
}

describe('the schedule lane', () => {
  it('takes the plain request, on either path, and answers 204 after the schedule resolved', async () => {
    scheduled.length = 0;
    expect((await send({ path: '/v1.0/jobs/a', headers: { 'dapr-app-id': 'x' } })).status).toBe(204);
    expect((await send({ path: '/v1.0-alpha1/jobs/b.c_d-e~f:g' })).status).toBe(204);
    expect(scheduled).toEqual([
      { key: { namespace: 'default', appId: 'x', name: 'a' }, body: { dueTime: '1h' } },
      { key: { namespace: 'default', appId: 'app', name: 'b.c_d-e~f:g' }, body: { dueTime: '1h' } },
    ]);
  });

  it.each<[string, Sent]>([
    ['another method', { method: 'PUT' }],
    ['a query string', { path: '/v1.0/jobs/a?x=1' }],
    ['a percent-encoded name', { path: '/v1.0/jobs/a%20b' }],
    ['a name with a semicolon', { path: '/v1.0/jobs/a;b' }],
    ['a sub-path', { path: '/v1.0/jobs/a/pause' }],
    ['a trailing slash', { path: '/v1.0/jobs/a/' }],
    ['no name', { path: '/v1.0/jobs/' }],
    ['a name longer than the router takes', { path: `/v1.0/jobs/${'n'.repeat(21)}` }],
    ['another version', { path: '/v1.0-beta1/jobs/a' }],
    ['another resource', { path: '/v1.0/jobsx/a' }],
    ['a content-type with parameters', { headers: { 'content-type': 'application/json; charset=utf-8' } }],
    ['another content-type', { headers: { 'content-type': 'text/plain' } }],
    ['a chunked body', { chunked: true }],
    ['an empty body', { body: '' }],
    ['a body over the limit', { body: `{"data":"${'x'.repeat(BODY_LIMIT)}"}` }],
  ])('declines %s', async (_what, sent) => {
    scheduled.length = 0;
    expect((await send(sent)).status).toBe(DECLINED);
    expect(scheduled).toEqual([]);
  });

  it('declines unless every request check says it would let the request through untouched', async () => {
    expect(await withPasses([() => true, () => false], () => send({}).then((r) => r.status))).toBe(DECLINED);
    expect(await withPasses([() => true, undefined], () => send({}).then((r) => r.status))).toBe(DECLINED);
    expect(await withPasses([() => true, () => true], () => send({}).then((r) => r.status))).toBe(204);
  });

  it("answers the caller's mistakes and the store's trouble as the error handler does", async () => {
    const bad = await send({ body: '{"dueTime":' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ errorCode: 'ERR_MALFORMED_REQUEST' });
    expect((await send({ headers: { 'dapr-app-id': 'a/b' } })).status).toBe(400);
    nextFailure = new Database.SqliteError('database is locked', 'SQLITE_BUSY');
    const busy = await send({});
    expect(busy.status).toBe(503);
    expect(JSON.parse(busy.body)).toMatchObject({ errorCode: 'ERR_STORE_UNAVAILABLE' });
    nextFailure = new TypeError('x is undefined');
    const bug = await send({});
    expect(bug.status).toBe(500);
    expect(JSON.parse(bug.body)).toMatchObject({ errorCode: 'ERR_INTERNAL' });
  });

  it('declines everything once closed (Fastify answers 503 while the server closes)', async () => {
    lane.close();
    expect((await send({})).status).toBe(DECLINED);
  });
});
