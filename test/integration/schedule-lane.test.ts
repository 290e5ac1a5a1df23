// The schedule lane (src/api/http/schedule-lane.ts) answers exactly as Fastify's route does. The
// lane takes POST /v1.0/jobs/{name} only with content-type exactly application/json; the same
// request sent as "application/json; charset=utf-8" goes through Fastify. Each case is sent both
// ways (to names and apps of its own) against a real server, and the two answers must be equal:
// status, body, and the headers a client reads (content-type, retry-after, connection).

import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

let node: Node;
/** One schedule a second per app: the second of two quick requests is a 429. */
let limited: Node;

beforeAll(async () => {
  [node, limited] = await Promise.all([startNode(), startNode({ scheduleRatePerApp: 1, scheduleBurstPerApp: 1 })]);
});
afterAll(async () => {
  await Promise.all([node?.close(), limited?.close()]);
});

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | undefined>;
}

const LANE = 'application/json';
const FASTIFY = 'application/json; charset=utf-8';

/**
 * One request on a keep-alive connection of its own (an answer may close it), read to the end. The
 * way it went (lane or fastify), in names the body may quote, and the milliseconds of a retry hint
 * are written alike so that the two answers compare.
 */
function post(path: string, body: string, headers: Record<string, string>, to: Node = node): Promise<Answer> {
  const url = new URL(to.duetime.httpUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks)
            .toString('utf8')
            .replace(/-(lane|fastify)\b/g, '-WAY')
            .replace(/\d+ms/g, 'Nms'),
          headers: { 'content-type': res.headers['content-type'], 'retry-after': res.headers['retry-after'], connection: res.headers.connection },
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  }).finally(() => agent.destroy());
}

const due = JSON.stringify({ dueTime: '1h', data: { n: 1 } });

// [case, body, extra headers, requests in a row (the answer of the last one is compared)]
const cases: Array<[string, string, Record<string, string>, number]> = [
  ['a job', due, {}, 1],
  ['a job on the alpha1 path', due, {}, 1],
  ['not JSON', '{"dueTime":"1h"', {}, 1],
  ['JSON that is not an object', '[1]', {}, 1],
  ['null', 'null', {}, 1],
  ['only whitespace', '   ', {}, 1],
  ['the name in the body', JSON.stringify({ name: 'x', dueTime: '1h' }), {}, 1],
  ['an unknown field', JSON.stringify({ dueTime: '1h', colour: 'red' }), {}, 1],
  ['no schedule and no dueTime', JSON.stringify({ data: {} }), {}, 1],
  ['a dueTime that does not parse', JSON.stringify({ dueTime: 'soon' }), {}, 1],
  ['a cron schedule', JSON.stringify({ schedule: '@every 1h', repeats: 2 }), {}, 1],
  ['a bad failure policy', JSON.stringify({ dueTime: '1h', failurePolicy: { constant: { interval: 'x' } } }), {}, 1],
  ['an app id that is not a name', due, { 'dapr-app-id': 'a/b' }, 1],
  ['an existing job without overwrite', due, {}, 2],
  ['an existing job with overwrite', JSON.stringify({ dueTime: '1h', overwrite: true }), {}, 2],
  ['the app over its schedule rate', due, {}, 2],
  ['a traceparent', due, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, 1],
];

describe('the schedule lane answers as Fastify does', () => {
  it.each(cases.map((c, i) => [...c, i] as const))('%s', async (_case, body, headers, times, i) => {
    const answers: Answer[] = [];
    for (const [way, type] of [
      ['lane', LANE],
      ['fastify', FASTIFY],
    ] as const) {
      const app = headers['dapr-app-id'] ?? `lane-${i}-${way}`;
      const base = _case.includes('alpha1') ? '/v1.0-alpha1' : '/v1.0';
      let answer: Answer | undefined;
      const to = _case.includes('rate') ? limited : node;
      for (let n = 0; n < times; n++) answer = await post(`${base}/jobs/job-${i}-${way}`, body, { 'content-type': type, 'dapr-app-id': app, ...headers }, to);
      answers.push(answer!);
    }
    const [lane, fastify] = answers;
    expect(lane).toEqual(fastify);
  });

  it('a scheduled job is stored as the route stores it', async () => {
    const due = JSON.stringify({ dueTime: '2030-01-01T00:00:00Z', data: { n: 1 } });
    expect((await post('/v1.0/jobs/stored-lane', due, { 'content-type': LANE, 'dapr-app-id': 'stored' })).status).toBe(204);
    expect((await post('/v1.0/jobs/stored-fastify', due, { 'content-type': FASTIFY, 'dapr-app-id': 'stored-2' })).status).toBe(204);
    const lane = await node.call('GET', '/v1.0/jobs/stored-lane', undefined, { 'dapr-app-id': 'stored' });
    const fastify = await node.call('GET', '/v1.0/jobs/stored-fastify', undefined, { 'dapr-app-id': 'stored-2' });
    expect(lane.status).toBe(200);
    expect({ ...lane.body, name: undefined }).toEqual({ ...fastify.body, name: undefined });
  });

  it('the schedule route has no hook the lane would pass by: only the request checks it consults', () => {
    // The lane serves its requests without Fastify, so a hook added to the route (or to every
    // route) would not run for them: such a hook must be a request check with a RawPass
    // (request-checks.ts), or the lane must decline the requests it concerns.
    for (const path of ['/v1.0/jobs/:name', '/v1.0-alpha1/jobs/:name']) {
      const tree = node.duetime.http.printRoutes({ includeHooks: true, method: 'POST', commonPrefix: false }).split('\n');
      const at = tree.findIndex((line) => line.endsWith(`${path} (POST)`));
      expect(at, path).toBeGreaterThanOrEqual(0);
      const hooks: string[] = [];
      for (let i = at + 1; i < tree.length && tree[i]!.includes('•'); i++) hooks.push(tree[i]!.slice(tree[i]!.indexOf('•') + 1).trim());
      expect(hooks, path).toEqual(['(onRequest) ["runRequestChecks()"]']);
    }
  });
});
