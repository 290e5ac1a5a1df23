// DuetimeClient and DuetimeGrpcClient against a real Duetime whose tokens are rotated by a reload
// (what SIGHUP does): a client given its apiToken as a function reads it again for each request,
// so a long-running client picks up the new token without being made again; and a token a header
// cannot carry is refused before anything is sent, without its value in the error (fetch's and
// grpc-js's own refusals quote it).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DuetimeApiError, DuetimeClient, DuetimeGrpcClient, type ApiTokenOption } from '@duetime/sdk';
import { startDuetime, type RunningDuetime } from '../../../src/main.js';

const logger = pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' });
const APP = 'sdk-tokens';
const TOKENS = (...tokens: string[]): string => `tokens:\n${tokens.map((t) => `  - token: ${t}\n    appId: ${APP}\n`).join('')}`;
let dir: string;
let config: string;
let server: RunningDuetime;
const grpcClients: DuetimeGrpcClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-sdk-client-tokens-'));
  config = join(dir, 'config.yaml');
  writeFileSync(config, TOKENS('admin-token'));
  server = await startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir: join(dir, 'data'), configFile: config }, { logger });
});
afterEach(() => {
  for (const client of grpcClients.splice(0)) client.close();
  writeFileSync(config, TOKENS('admin-token'));
  server.reload();
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The server's tokens become `tokens` (plus the test's own), as an operator's SIGHUP would make them. */
function rotateTo(...tokens: string[]): void {
  writeFileSync(config, TOKENS('admin-token', ...tokens));
  expect(server.reload().tokens.result).toBe('reloaded');
}

/** Whether the job exists, asked with the test's own token: a refused request must have written nothing. */
async function exists(name: string): Promise<boolean> {
  const response = await fetch(`${server.httpUrl}/v1.0/jobs/${name}`, { headers: { 'dapr-api-token': 'admin-token', 'dapr-app-id': APP } });
  await response.body?.cancel();
  return response.status === 200;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

/** The two clients, made alike: each test runs against both. `unknown`: plain JavaScript may pass anything. */
const clients = {
  http: (apiToken: unknown) => new DuetimeClient({ baseUrl: server.httpUrl, appId: APP, apiToken: apiToken as ApiTokenOption, rateLimitRetries: 0 }),
  grpc: (apiToken: unknown) => {
    const client = new DuetimeGrpcClient({ address: `127.0.0.1:${server.grpcPort}`, appId: APP, apiToken: apiToken as ApiTokenOption, rateLimitRetries: 0 });
    grpcClients.push(client);
    return client;
  },
};

describe.each(Object.entries(clients))('the %s client with apiToken as a function', (kind, make) => {
  it('reads it for each request: after the server rotated the token, the next request with the new one succeeds', async () => {
    rotateTo('old-token');
    let current = 'old-token';
    const asked: string[] = [];
    // As a client reading its token from a file or a secret store would: asynchronously.
    const client = make(async (): Promise<string> => {
      await new Promise((resolve) => setImmediate(resolve));
      asked.push(current);
      return current;
    });
    await client.schedule(`${kind}-before`, { dueTime: '1h' });

    rotateTo('new-token');
    const refused = await rejection(client.get(`${kind}-before`));
    expect(refused).toBeInstanceOf(DuetimeApiError);
    expect((refused as DuetimeApiError).status).toBe(401);

    // The secret was updated: the same client, not made again, uses it at its next request.
    current = 'new-token';
    expect((await client.get(`${kind}-before`)).name).toBe(`${kind}-before`);
    await client.schedule(`${kind}-after`, { dueTime: '1h' });
    expect(await exists(`${kind}-after`)).toBe(true);
    expect(asked).toEqual(['old-token', 'old-token', 'new-token', 'new-token']);
  });

  it('refuses a token the function answers with a line break, or a failing function, without sending the request or showing the token', async () => {
    const answers: Array<() => string | Promise<string>> = [
      () => Promise.resolve('file-token\n'), // a token file read as it is, trailing newline and all
      () => 'file\ntoken',
      () => {
        throw new Error('the secret store is down');
      },
    ];
    const client = make(() => answers.shift()!());
    const messages: string[] = [];
    for (let i = 0; i < 3; i++) {
      const error = await rejection(client.schedule(`${kind}-bad-${i}`, { dueTime: '1h' }));
      expect(error).not.toBeInstanceOf(DuetimeApiError);
      messages.push(error.message);
      expect(await exists(`${kind}-bad-${i}`)).toBe(false);
    }
    const where = kind === 'http' ? /^POST \/v1\.0\/jobs\/http-bad-\d not sent: / : /^ScheduleJob not called: /;
    for (const message of messages) expect(message).toMatch(where);
    expect(messages[0]).toMatch(/the apiToken function answered a token that holds a character a header cannot carry \(a line break, say: a token file read with its trailing newline\); trim it$/);
    expect(messages[1]).toMatch(/the apiToken function answered a token that holds a character a header cannot carry/);
    expect(messages[2]).toMatch(/the apiToken function failed: the secret store is down$/);
    expect(messages.join('\n')).not.toMatch(/file-token|file\ntoken/);
  });
});

describe.each(Object.entries(clients))('the %s client with apiToken as a string', (kind, make) => {
  const constructor = kind === 'http' ? 'new DuetimeClient()' : 'new DuetimeGrpcClient()';

  it('refuses one a header cannot carry at once, never showing it', () => {
    for (const token of ['hunter2\n', 'hun\nter2', 'hunter2-ö']) {
      expect(() => make(token)).toThrow(`${constructor}: options.apiToken holds a character a header cannot carry (a line break, say: a token file read with its trailing newline); trim it`);
      expect(() => make(token)).not.toThrow(/hun/);
    }
  });

  it('refuses one that is neither a string nor a function at once, naming its type only', () => {
    expect(() => make(12345)).toThrow(`${constructor}: options.apiToken must be a string or a function returning one (or a promise of one), not a number`);
    expect(() => make(12345)).not.toThrow(/12345/);
  });
});
