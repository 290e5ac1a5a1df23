// Property-based fuzzing of the HTTP API (issue 10): arbitrary job names, bodies, query strings
// and raw bytes against a real server. For every request: no 5xx; and a rejected request (4xx)
// leaves the app's job list, the kept job and the kept actor's reminders byte-identical. Accepted
// requests are undone before the next run. Fixed seed and bounded runs: the same inputs every
// time, a few seconds in all; a failure prints the seed and the shrunk counterexample.

import { Agent, request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from '../support.js';
import { jobBody, jobName, KEPT, queryString, rawBody, reminderBody, segment } from './arbitraries.js';

const SEED = Number(process.env.DUETIME_FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.DUETIME_FUZZ_RUNS ?? 150);
const APP = 'fuzz';

let node: Node;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  agent.destroy();
  await node?.close();
});

interface Answer {
  status: number;
  text: string;
}

/** One request with the path sent exactly as given (fetch would resolve "." segments). */
function send(method: string, path: string, body?: Buffer | string, contentType = 'application/json'): Promise<Answer> {
  const url = new URL(node.duetime.httpUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'dapr-app-id': APP };
    if (body !== undefined) headers['content-type'] = contentType;
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const KEPT_ACTOR = '/v1.0/actors/Clock/kept/reminders';

/** What a rejected request must not change. */
async function snapshot(): Promise<string> {
  const list = await send('GET', '/v1.0/jobs?limit=1000&prefix=');
  const kept = await send('GET', `/v1.0/jobs/${KEPT}`);
  const reminders = await send('GET', KEPT_ACTOR);
  return JSON.stringify([list, kept, reminders]);
}

/** Back to the known state: only the kept job (due in a day) and the kept reminder. */
async function reset(): Promise<void> {
  await send('DELETE', '/v1.0/jobs?prefix=');
  expect((await send('POST', `/v1.0/jobs/${KEPT}`, JSON.stringify({ dueTime: '24h', data: { kept: true } }))).status).toBe(204);
  await send('DELETE', `${KEPT_ACTOR}/${KEPT}`);
  expect((await send('POST', `${KEPT_ACTOR}/${KEPT}`, JSON.stringify({ dueTime: '24h' }))).status).toBe(204);
}

type Request = { method: string; path: string; body?: Buffer | string; contentType?: string };

/** Sends the request; asserts no 5xx and, when refused, no change. Resets after an accepted one. */
/** How many requests were accepted and refused: a property that saw only one kind tested little. */
const tally = { accepted: 0, refused: 0 };

async function check(request: Request): Promise<void> {
  const before = await snapshot();
  const answer = await send(request.method, request.path, request.body, request.contentType);
  tally[answer.status >= 400 ? 'refused' : 'accepted'] += 1;
  expect(answer.status, `${request.method} ${request.path} ${String(request.body ?? '').slice(0, 200)} -> ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(await snapshot(), `${request.method} ${request.path} was refused (${answer.status}) but changed the state`).toBe(before);
    if (answer.text) expect(() => JSON.parse(answer.text), 'an error body is JSON').not.toThrow();
  } else {
    await reset();
  }
}

async function property(arbitrary: fc.Arbitrary<Request | undefined>): Promise<void> {
  tally.accepted = tally.refused = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (request) => {
      if (request) await check(request);
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  expect(tally.refused, 'requests refused').toBeGreaterThan(0);
  expect(tally.accepted, 'requests accepted').toBeGreaterThan(0);
}

const jobPath = (name: string, suffix = '') => {
  const encoded = segment(name);
  return encoded === undefined ? undefined : `/v1.0/jobs/${encoded}${suffix}`;
};

describe('HTTP fuzz (fast-check, fixed seed)', () => {
  beforeAll(reset);

  it('POST /v1.0/jobs/{name} with arbitrary names and bodies', async () => {
    await property(
      fc.tuple(jobName, jobBody).map(([name, body]) => {
        const path = jobPath(name);
        return path === undefined ? undefined : { method: 'POST', path, body: JSON.stringify(body) };
      }),
    );
  }, 120_000);

  it('raw bytes as a job body, with and without a JSON content type', async () => {
    await property(
      fc.tuple(jobName, rawBody, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded')).map(([name, bytes, contentType]) => {
        const path = jobPath(name);
        return path === undefined ? undefined : { method: 'POST', path, body: Buffer.from(bytes), contentType };
      }),
    );
  }, 120_000);

  it('query strings on list, bulk delete and history', async () => {
    await property(
      fc.tuple(fc.constantFrom('GET /v1.0/jobs', 'DELETE /v1.0/jobs', `GET /v1.0/jobs/${KEPT}/history`, 'GET /v1.0-alpha1/jobs'), queryString).map(([route, query]) => {
        const [method, path] = route.split(' ') as [string, string];
        return { method, path: query === '' ? path : `${path}?${query}` };
      }),
    );
  }, 120_000);

  it('GET, DELETE, pause, resume, trigger and history of arbitrary names', async () => {
    await property(
      fc.tuple(jobName, fc.constantFrom('GET', 'DELETE', 'POST /pause', 'POST /resume', 'POST /trigger', 'GET /history')).map(([name, route]) => {
        const [method, suffix = ''] = route.split(' ') as [string, string?];
        const path = jobPath(name, suffix);
        return path === undefined ? undefined : { method, path };
      }),
    );
  }, 120_000);

  it('actor reminders: arbitrary actor types, ids, names and bodies', async () => {
    const part = fc.oneof(fc.constantFrom('Clock', 'kept', KEPT), jobName);
    await property(
      fc.tuple(part, part, jobName, fc.constantFrom('POST', 'PUT', 'GET', 'DELETE'), reminderBody).map(([type, id, name, method, body]) => {
        const parts = [type, id, name].map(segment);
        if (parts.some((p) => p === undefined)) return undefined;
        const path = `/v1.0/actors/${parts[0]}/${parts[1]}/reminders/${parts[2]}`;
        return method === 'POST' || method === 'PUT' ? { method, path, body: JSON.stringify(body) } : { method, path };
      }),
    );
  }, 120_000);
});
