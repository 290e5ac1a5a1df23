// jobHandler() in real HTTP apps (node:http and fastify) receiving Duetime's HTTP callbacks.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuetimeClient, jobHandler, type JobTrigger } from '@duetime/sdk';
import { startNode, type Node } from '../support.js';

let node: Node;
let app: Server;
let appUrl: string;
const seen: JobTrigger[] = [];
let failNext = 0;

beforeAll(async () => {
  node = await startNode();
  const handle = jobHandler(
    {
      greet: (job) => {
        seen.push(job);
        if (failNext > 0) {
          failNext--;
          throw new Error('not now');
        }
      },
    },
    { fallback: async (job) => void seen.push(job) },
  );
  app = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  await node.call('PUT', '/v1.0/apps/http-app', { url: appUrl });
});
afterAll(async () => {
  await new Promise((resolve) => app?.close(resolve));
  await node?.close();
});

const client = (): DuetimeClient => new DuetimeClient({ baseUrl: node.duetime.httpUrl, appId: 'http-app' });
const forJob = (name: string): JobTrigger[] => seen.filter((j) => j.name === name);

describe('jobHandler in a node:http app', () => {
  it('routes POST /job/{name} to the handler with data, scheduled time, attempt and trigger id', async () => {
    const dueAt = Date.now() + 300;
    await client().schedule('greet', { dueTime: new Date(dueAt).toISOString(), data: { who: 'world' } });
    await expect.poll(() => forJob('greet').length, { timeout: 20_000 }).toBe(1);
    const [job] = forJob('greet');
    expect(job).toMatchObject({ name: 'greet', data: { who: 'world' }, attempt: 1 });
    expect(job!.scheduledTime!.getTime()).toBe(dueAt);
    expect(job!.triggerId).toEqual(expect.any(String));
  });

  it('a throwing handler answers 500 and Duetime retries the same tick', async () => {
    failNext = 1;
    const before = forJob('greet').length;
    await client().schedule('greet', { dueTime: '0s', data: 'again', overwrite: true, failurePolicy: { constant: { interval: '100ms', maxRetries: 2 } } });
    await expect.poll(() => forJob('greet').length - before, { timeout: 20_000 }).toBe(2);
    const [first, second] = forJob('greet').slice(before);
    expect([first!.attempt, second!.attempt]).toEqual([1, 2]);
    expect(second!.triggerId).toBe(first!.triggerId);
  });

  it('other names go to the fallback; a job without data gets undefined', async () => {
    await client().schedule('other', { dueTime: '0s' });
    await expect.poll(() => forJob('other').length, { timeout: 20_000 }).toBe(1);
    expect(forJob('other')[0]!.data).toBeUndefined();
  });

  it('answers 404 without a matching handler, 405 for other methods', async () => {
    const bare = jobHandler({});
    const server = createServer((req, res) => void bare(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/job/nobody`, { method: 'POST', body: '{}' })).status).toBe(404);
      expect((await fetch(`${base}/job/nobody`)).status).toBe(405);
      expect((await fetch(`${base}/elsewhere`, { method: 'POST' })).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('jobHandler as a fastify route', () => {
  let fastify: FastifyInstance;
  const got: JobTrigger[] = [];
  beforeAll(async () => {
    fastify = Fastify();
    // Duetime sends content-type: application/json with an empty body for jobs without data;
    // fastify's default JSON parser rejects that, so parse leniently.
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? undefined : JSON.parse(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    fastify.post('/job/:name', jobHandler({ ping: (job) => void got.push(job), quiet: (job) => void got.push(job) }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const { port } = fastify.server.address() as AddressInfo;
    await node.call('PUT', '/v1.0/apps/fastify-app', { url: `http://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await fastify?.close();
  });

  it('receives triggers with parsed data and without', async () => {
    const fastifyClient = new DuetimeClient({ baseUrl: node.duetime.httpUrl, appId: 'fastify-app' });
    await fastifyClient.schedule('ping', { schedule: '@every 100ms', repeats: 2, data: [1, 2] });
    await expect.poll(() => got.length, { timeout: 20_000 }).toBe(2);
    expect(got.map((j) => j.data)).toEqual([
      [1, 2],
      [1, 2],
    ]);
    await fastifyClient.schedule('quiet', { dueTime: '0s' });
    await expect.poll(() => got.length, { timeout: 20_000 }).toBe(3);
    expect(got[2]).toMatchObject({ name: 'quiet', data: undefined });
  });
});
