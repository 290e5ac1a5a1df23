// Issue 10 row 5: a token bound to app "orders" scheduled an invoke of "billing" (any verb, any
// path, any namespace), delivered with billing's app token. Invoke targets now answer to a
// Dapr-style access-control policy (--access-control), when the job is written and again at
// every delivery; with tokens on and no policy, an app may invoke only itself.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DuetimeConfig } from '../../src/config/config.js';
import { startDuetime, type RunningDuetime } from '../../src/main.js';
import { spawnDuetime, type DuetimeProcess } from '../../src/testing/duetime-process.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';
import type { Node } from './support.js';
import { eventually } from './components/helpers.js';
import { recordAttempts } from './targets/helpers.js';

const quiet = pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' });
let dir: string;
let orders: RecordingReceiver;
let billing: RecordingReceiver;
let running: RunningDuetime | undefined;

const TOKENS = `tokens:
  - token: orders-token
    appId: orders
  - token: billing-token
    appId: billing
`;

const POLICY = `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: billing-acl
  namespace: default
scopes: [billing]
spec:
  accessControl:
    defaultAction: deny
    trustDomain: public
    policies:
      - appId: orders
        defaultAction: deny
        trustDomain: public
        namespace: default
        operations:
          # Exact names before wildcards: among siblings the first listed that matches wins (Dapr).
          - name: /charges/refund
            httpVerb: ['*']
            action: deny
          - name: /charges/*
            httpVerb: [POST]
            action: allow
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-acl-'));
  orders = await new RecordingReceiver().start();
  billing = await new RecordingReceiver().start();
  writeFileSync(join(dir, 'config.yaml'), `${TOKENS}apps:\n  - appId: orders\n    url: ${orders.url}\n  - appId: billing\n    url: ${billing.url}\n    token: billing-app-token\n  - appId: billing\n    namespace: other\n    url: ${billing.url}\n`);
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

afterAll(async () => {
  await orders?.stop();
  await billing?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(config: Partial<DuetimeConfig>, dataDir = join(dir, `data-${Math.random().toString(36).slice(2)}`)): Promise<RunningDuetime> {
  running = await startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir, appId: 'app', configFile: join(dir, 'config.yaml'), ...config }, { logger: quiet });
  return running;
}

async function schedule(node: RunningDuetime, token: string, name: string, invoke: Record<string, unknown>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${node.httpUrl}/v1.0/jobs/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'dapr-api-token': token, ...headers },
    body: JSON.stringify({ dueTime: '0s', failurePolicy: { drop: {} }, target: { invoke } }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('with tokens and no policy file', () => {
  it('refuses an invoke of another app with 403 naming caller, target, verb and path, and stores nothing', async () => {
    const node = await start({});
    const res = await schedule(node, 'orders-token', 'steal', { appId: 'billing', method: 'charges/all', verb: 'DELETE' });
    expect(res.status).toBe(403);
    expect(res.body.errorCode).toBe('ERR_PERMISSION_DENIED');
    expect(res.body.message).toMatch(/"orders".*"billing".*DELETE \/charges\/all/);
    expect(res.body.message).toContain('--access-control');
    const get = await fetch(`${node.httpUrl}/v1.0/jobs/steal`, { headers: { 'dapr-api-token': 'orders-token' } });
    expect(get.status).toBe(404);
  });

  it('refuses it in another namespace too', async () => {
    const node = await start({});
    const res = await schedule(node, 'orders-token', 'steal', { appId: 'billing', method: 'charges/1' }, { 'dapr-namespace': 'other' });
    expect(res.status).toBe(403);
  });

  it('lets an app invoke itself', async () => {
    const node = await start({});
    const res = await schedule(node, 'orders-token', 'self', { appId: 'orders', method: 'tick' });
    expect(res.status).toBe(204);
    await orders.waitFor(() => orders.received.some((r) => r.path === '/tick'));
  });
});

describe('with a Dapr-style access-control policy', () => {
  it('allows what the policy allows and refuses the rest (verb, path, more specific deny, namespace)', async () => {
    const node = await start({ accessControl: join(dir, 'policy.yaml') } as Partial<DuetimeConfig>);
    const allowed = await schedule(node, 'orders-token', 'charge', { appId: 'billing', method: 'charges/42' });
    expect(allowed.status).toBe(204);
    await billing.waitFor(() => billing.received.some((r) => r.path === '/charges/42'));
    expect((await schedule(node, 'orders-token', 'get', { appId: 'billing', method: 'charges/42', verb: 'GET' })).status).toBe(403);
    expect((await schedule(node, 'orders-token', 'refund', { appId: 'billing', method: 'charges/refund' })).status).toBe(403);
    expect((await schedule(node, 'orders-token', 'deep', { appId: 'billing', method: 'charges/42/items' })).status).toBe(403);
    expect((await schedule(node, 'orders-token', 'admin', { appId: 'billing', method: 'admin' })).status).toBe(403);
    // The policy names namespace default: orders in namespace "other" is not that caller.
    expect((await schedule(node, 'orders-token', 'other-ns', { appId: 'billing', method: 'charges/1' }, { 'dapr-namespace': 'other' })).status).toBe(403);
  });

  it('checks again at delivery: a job written under one policy fails its attempt under a stricter one', async () => {
    const dataDir = join(dir, 'data-restart');
    let node = await start({ accessControl: join(dir, 'policy.yaml') } as Partial<DuetimeConfig>, dataDir);
    const res = await fetch(`${node.httpUrl}/v1.0/jobs/later`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'dapr-api-token': 'orders-token' },
      body: JSON.stringify({ dueTime: '3s', failurePolicy: { drop: {} }, target: { invoke: { appId: 'billing', method: 'charges/7' } } }),
    });
    expect(res.status).toBe(204);
    await node.stop();
    running = undefined;
    const stricter = join(dir, 'stricter.yaml');
    writeFileSync(stricter, POLICY.replace('action: allow', 'action: deny'));
    node = await start({ accessControl: stricter } as Partial<DuetimeConfig>, dataDir);
    const attempts = recordAttempts({ duetime: node } as unknown as Node, 'later');
    await attempts.waitFor((all) => all.length === 1, 30_000);
    expect(attempts.attempts[0]!.outcome).not.toBe('success');
    expect(attempts.attempts[0]!.detail).toMatch(/"orders".*"billing".*POST \/charges\/7.*denied/);
    expect(billing.received.some((r) => r.path === '/charges/7')).toBe(false);
  });

  it('a policy file that is not usable stops the start, naming the file and the field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, POLICY.replace('defaultAction: deny', 'defaultAction: maybe'));
    await expect(start({ accessControl: bad } as Partial<DuetimeConfig>)).rejects.toThrow(/cannot start: --access-control.*bad\.yaml.*spec\.accessControl\.defaultAction.*allow or deny/s);
  });
});

describe('reloading the policy file while the server runs', () => {
  it('reload() puts a stricter file in force for new and stored jobs; a file that does not read keeps it and is counted', async () => {
    const live = join(dir, 'live.yaml');
    writeFileSync(live, POLICY);
    const node = await start({ accessControl: live } as Partial<DuetimeConfig>);
    expect((await schedule(node, 'orders-token', 'before', { appId: 'billing', method: 'charges/1' })).status).toBe(204);
    const stored = await fetch(`${node.httpUrl}/v1.0/jobs/stored`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'dapr-api-token': 'orders-token' },
      body: JSON.stringify({ dueTime: '2s', failurePolicy: { drop: {} }, target: { invoke: { appId: 'billing', method: 'charges/8' } } }),
    });
    expect(stored.status).toBe(204);

    writeFileSync(live, POLICY.replace('action: allow', 'action: deny'));
    expect(node.reload().accessControl).toEqual({ result: 'reloaded', file: live });
    const refused = await schedule(node, 'orders-token', 'after', { appId: 'billing', method: 'charges/2' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/"orders".*"billing".*POST \/charges\/2.*denied/);
    // The job stored under the old file is checked again at its delivery, under the new one.
    const attempts = recordAttempts({ duetime: node } as unknown as Node, 'stored');
    await attempts.waitFor((all) => all.length === 1, 30_000);
    expect(attempts.attempts[0]!.detail).toMatch(/POST \/charges\/8.*denied/);
    expect(billing.received.some((r) => r.path === '/charges/8')).toBe(false);

    // A bad edit is refused, naming the file and the field, and the stricter policy stays: a
    // broken file never opens what the last good one closed.
    writeFileSync(live, POLICY.replace('action: allow', 'action: deny').replace('defaultAction: deny', 'defaultAction: maybe'));
    const failed = node.reload().accessControl;
    expect(failed.result).toBe('failed');
    expect(failed.result === 'failed' && failed.error).toMatch(/--access-control.*live\.yaml.*spec\.accessControl\.defaultAction.*allow or deny/s);
    expect(failed.result === 'failed' && failed.error).not.toMatch(/cannot start/);
    expect((await schedule(node, 'orders-token', 'still-denied', { appId: 'billing', method: 'charges/3' })).status).toBe(403);

    // Back to the allowing file: in force again.
    writeFileSync(live, POLICY);
    expect(node.reload().accessControl.result).toBe('reloaded');
    expect((await schedule(node, 'orders-token', 'allowed-again', { appId: 'billing', method: 'charges/4' })).status).toBe(204);

    const metrics = await (await fetch(`${node.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/duetime_config_reloads_total\{setting="access_control",result="reloaded"\} 2/);
    expect(metrics).toMatch(/duetime_config_reloads_total\{setting="access_control",result="failed"\} 1/);
  });

  it('a server started without the file has nothing to reload and its default rule stays', async () => {
    const node = await start({});
    expect(node.reload().accessControl).toEqual({ result: 'not-configured' });
    expect((await schedule(node, 'orders-token', 'steal-2', { appId: 'billing', method: 'charges/1' })).status).toBe(403);
  });

  describe('`duetime serve` on SIGHUP', () => {
    let child: DuetimeProcess | undefined;
    afterEach(async () => {
      await child?.kill('SIGTERM');
      child = undefined;
    });

    it('reads the file again and keeps serving (SIGHUP no longer ends the process)', async () => {
      const live = join(dir, 'live-cli.yaml');
      writeFileSync(live, POLICY);
      child = await spawnDuetime(['--data-dir', join(dir, 'data-sighup'), '--config', join(dir, 'config.yaml'), '--access-control', live]);
      const url = child.url;
      const post = (name: string): Promise<Response> =>
        fetch(`${url}/v1.0/jobs/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'dapr-api-token': 'orders-token' },
          body: JSON.stringify({ dueTime: '2030-01-01T00:00:00Z', target: { invoke: { appId: 'billing', method: 'charges/5' } } }),
        });
      expect((await post('cli-before')).status).toBe(204);
      writeFileSync(live, POLICY.replace('action: allow', 'action: deny'));
      child.child.kill('SIGHUP');
      const running = child;
      await eventually('the reload in the log', () => running.output().includes('access control reloaded'));
      expect(child.output()).toContain(`access control reloaded from ${live}`);
      expect(child.child.exitCode).toBeNull();
      expect((await post('cli-after')).status).toBe(403);
    });
  });
});

describe('without tokens (single-tenant development)', () => {
  it('allows invoking another app', async () => {
    writeFileSync(join(dir, 'apps-only.yaml'), `apps:\n  - appId: billing\n    url: ${billing.url}\n`);
    const node = await start({ configFile: join(dir, 'apps-only.yaml') });
    const res = await fetch(`${node.httpUrl}/v1.0/jobs/dev`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dueTime: '0s', target: { invoke: { appId: 'billing', method: 'dev/ping' } } }),
    });
    expect(res.status).toBe(204);
    await billing.waitFor(() => billing.received.some((r) => r.path === '/dev/ping'));
  });
});
