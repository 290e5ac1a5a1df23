// An app token is never also an API token (docs/security.md, Tokens): it goes to the app with
// every delivery, so whoever receives one could call the API with it. Over real HTTP against a
// real Duetime with tokens: a registration (PUT /v1.0/apps/{appId}, what `duetime apps set` sends)
// whose token is an API token in force is refused with 400 naming the field, never the token, and
// stores nothing; a reload (what SIGHUP does) that would make a registered app's token an API
// token is refused, the tokens in force staying.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDuetime, type RunningDuetime } from '../../src/main.js';

const logger = pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' });
const TOKENS = 'tokens:\n  - token: admin-secret\n  - token: orders-secret\n    appId: orders\n';
let dir: string;
let config: string;
let server: RunningDuetime;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-app-token-registration-'));
  config = join(dir, 'config.yaml');
  writeFileSync(config, TOKENS);
  server = await startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir: join(dir, 'data'), appId: 'app', configFile: config }, { logger });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: { 'dapr-api-token': token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, text: await response.text() };
}

async function registered(): Promise<Array<{ appId: string; url: string }>> {
  return (JSON.parse((await call('GET', '/v1.0/apps', 'admin-secret')).text) as { apps: Array<{ appId: string; url: string }> }).apps;
}

const refusal = 'token is an API token of this server; an app token goes to the app with every delivery, so whoever receives one could call the API with it: give the app a token that is not an API token';

describe('an app token that is an API token', () => {
  it('is refused at registration with 400 naming the field, never the token, and nothing is stored', async () => {
    // Its own API token, and another's (the unbound one): both refused.
    const own = await call('PUT', '/v1.0/apps/orders', 'orders-secret', { url: 'http://127.0.0.1:9/orders', token: 'orders-secret' });
    expect(own.status).toBe(400);
    expect(JSON.parse(own.text)).toMatchObject({
      errorCode: 'ERR_MALFORMED_REQUEST',
      message: refusal,
      details: expect.arrayContaining([expect.objectContaining({ field_violations: [{ field: 'token', description: refusal }] })]),
    });
    const other = await call('PUT', '/v1.0/apps/billing', 'admin-secret', { url: 'http://127.0.0.1:9/billing', token: 'admin-secret' });
    expect(other.status).toBe(400);
    expect(own.text + other.text).not.toMatch(/secret/);
    expect(await registered()).toEqual([]);

    // A token of its own is registered; moving the app with an API token changes nothing.
    expect((await call('PUT', '/v1.0/apps/orders', 'orders-secret', { url: 'http://127.0.0.1:9/orders', token: 'to-orders' })).status).toBe(204);
    expect((await call('PUT', '/v1.0/apps/orders', 'orders-secret', { url: 'http://127.0.0.1:9/moved', token: 'admin-secret' })).status).toBe(400);
    expect(await registered()).toEqual([expect.objectContaining({ appId: 'orders', url: 'http://127.0.0.1:9/orders' })]);
    expect(server.apps.endpoint('default', 'orders')?.token).toBe('to-orders');
  });

  it('is refused at a reload that would make a registered app\'s token an API token; the tokens in force stay', async () => {
    expect((await call('PUT', '/v1.0/apps/orders', 'orders-secret', { url: 'http://127.0.0.1:9/orders', token: 'to-orders' })).status).toBe(204);
    writeFileSync(config, `${TOKENS}  - token: to-orders\n    appId: billing\n`);
    const outcome = server.reload().tokens;
    expect(outcome).toMatchObject({ result: 'failed', error: expect.stringMatching(/^the token of app "orders" \(namespace "default"\) as registered \(PUT \/v1\.0\/apps\/orders\) is the same token as \S*config\.yaml: tokens\[2\], an API token; /) });
    expect(JSON.stringify(outcome)).not.toContain('to-orders');
    expect((await call('GET', '/v1.0/apps', 'to-orders')).status).toBe(401);
    expect((await call('GET', '/v1.0/apps', 'admin-secret')).status).toBe(200);
    const metrics = (await call('GET', '/metrics', 'admin-secret')).text;
    expect(metrics).toMatch(/duetime_config_reloads_total\{setting="tokens",result="failed"\} 1/);

    // The fix the message names: the app gets another token; the same file then reloads.
    expect((await call('PUT', '/v1.0/apps/orders', 'orders-secret', { url: 'http://127.0.0.1:9/orders', token: 'to-orders-2' })).status).toBe(204);
    expect(server.reload().tokens.result).toBe('reloaded');
    expect((await call('GET', '/v1.0/apps', 'to-orders')).status).toBe(200);
  });
});
