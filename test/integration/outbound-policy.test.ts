// Issue 10 row 4: where Duetime may send requests. App endpoints (PUT /v1.0/apps, --app-url, the
// config file's apps) are checked against --allow-outbound when they are registered, and every
// connection is checked again with the address it resolved to (a name may point elsewhere later).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuetimeConfig } from '../../src/config/config.js';
import { startDuetime, type RunningDuetime } from '../../src/main.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';
import { startNode, type Node } from './support.js';
import { recordAttempts } from './targets/helpers.js';

const quiet = pino({ level: 'silent' });

describe('app registrations under the default outbound policy', () => {
  let node: Node;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(async () => {
    await node?.close();
  });

  const refused: Array<[string, RegExp]> = [
    ['http://169.254.169.254/latest/meta-data', /169\.254\.169\.254.*link-local/],
    ['http://2852039166/', /169\.254\.169\.254/], // the same address, written as one number
    ['http://[::ffff:169.254.169.254]/', /link-local/],
    ['http://[fe80::1]:8080/', /link-local/],
    ['http://0.0.0.0:8080/', /0\.0\.0\.0/],
    ['http://8.8.8.8/', /8\.8\.8\.8/],
  ];
  for (const [url, detail] of refused) {
    it(`refuses ${url} with 400 naming url and --allow-outbound, and registers nothing`, async () => {
      const res = await node.call('PUT', '/v1.0/apps/meta', { url });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^url /);
      expect(res.body.message).toMatch(detail);
      expect(res.body.message).toContain('--allow-outbound');
      const list = await node.call('GET', '/v1.0/apps');
      expect(list.body.apps.map((a: { appId: string }) => a.appId)).not.toContain('meta');
    });
  }

  it('refuses userinfo in the URL and port 0', async () => {
    const withUser = await node.call('PUT', '/v1.0/apps/meta', { url: 'http://admin:secret@127.0.0.1:8080/' });
    expect(withUser.status).toBe(400);
    expect(withUser.body.message).toMatch(/^url .*user name or password/);
    expect(withUser.text).not.toContain('secret');
    const portZero = await node.call('PUT', '/v1.0/apps/meta', { url: 'http://127.0.0.1:0/' });
    expect(portZero.status).toBe(400);
    expect(portZero.body.message).toMatch(/^url .*port 0/);
  });

  it('accepts loopback, the private ranges and host names (checked when connecting)', async () => {
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080', 'http://10.1.2.3', 'http://172.20.0.5:80', 'http://192.168.1.10:8080', 'http://[fd00::5]:8080', 'https://billing.internal:8443/api']) {
      const res = await node.call('PUT', '/v1.0/apps/ok', { url });
      expect(res.status, url).toBe(204);
    }
  });
});

describe('settings that name a refused endpoint stop the start', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'duetime-outbound-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (config: Partial<DuetimeConfig>): Promise<RunningDuetime> =>
    startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir: join(dir, 'data'), appId: 'app', ...config }, { logger: quiet });

  it('--app-url on a link-local address', async () => {
    await expect(start({ appUrl: 'http://169.254.169.254/' })).rejects.toThrow(/--app-url.*169\.254\.169\.254.*--allow-outbound/s);
  });

  it('a config-file app with userinfo', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'apps:\n  - appId: billing\n    url: http://me:pw@127.0.0.1:8080\n');
    await expect(start({ configFile: file })).rejects.toThrow(/apps\[0\]\.url: url .*user name or password/);
  });

  it('a bindings.http component whose url is an address the list refuses', async () => {
    const components = join(dir, 'components-metadata');
    mkdirSync(components, { recursive: true });
    writeFileSync(
      join(components, 'hook.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: hook\nspec:\n  type: bindings.http\n  version: v1\n  metadata:\n    - name: url\n      value: http://169.254.169.254/latest\n',
    );
    await expect(start({ componentsPath: components })).rejects.toThrow(/hook\.yaml: spec\.metadata "url" .*169\.254\.169\.254.*link-local.*--allow-outbound/s);
  });

  it('an --allow-outbound entry that is neither a CIDR nor a host name', async () => {
    await expect(start({ allowOutbound: '10.0.0.0/8,300.1.2.3/8' } as Partial<DuetimeConfig>)).rejects.toThrow(/--allow-outbound \/ DUETIME_ALLOW_OUTBOUND.*300\.1\.2\.3\/8/);
    await expect(start({ allowOutbound: '10.0.0.0/33' } as Partial<DuetimeConfig>)).rejects.toThrow(/--allow-outbound.*10\.0\.0\.0\/33/);
  });

  it('a link-local address is allowed when listed explicitly', async () => {
    const node = await start({ allowOutbound: '127.0.0.0/8,169.254.169.254/32' } as Partial<DuetimeConfig>);
    try {
      const res = await fetch(`${node.httpUrl}/v1.0/apps/meta`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://169.254.169.254/' }) });
      expect(res.status).toBe(204);
      const other = await fetch(`${node.httpUrl}/v1.0/apps/other`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://169.254.10.1/' }) });
      expect(other.status).toBe(400);
    } finally {
      await node.stop();
    }
  });
});

describe('every connection is checked with the address the name resolved to', () => {
  let duetime: RunningDuetime;
  let receiver: RecordingReceiver;
  let dataDir: string;
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    receiver = await new RecordingReceiver().start();
    dataDir = mkdtempSync(join(tmpdir(), 'duetime-outbound-'));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    // A bindings.http component whose URL names the receiver as "localhost".
    const components = join(dataDir, 'components');
    mkdirSync(components);
    writeFileSync(
      join(components, 'webhook.yaml'),
      `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: webhook\nspec:\n  type: bindings.http\n  version: v1\n  metadata:\n    - name: url\n      value: ${receiver.url.replace('127.0.0.1', 'localhost')}/hooks\n`,
    );
    // Loopback is not on this list: "localhost" passes registration (a name) and is refused at connect.
    duetime = await startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir: join(dataDir, 'data'), componentsPath: components, appId: 'app', allowOutbound: '10.0.0.0/8' } as Partial<DuetimeConfig>, {
      logger: pino({ level: 'warn' }, sink),
    });
  });
  afterAll(async () => {
    await duetime?.stop();
    await receiver?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> | undefined }> => {
    const res = await fetch(`${duetime.httpUrl}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };

  it('refuses 127.0.0.1 itself at registration', async () => {
    const res = await call('PUT', '/v1.0/apps/app', { url: receiver.url });
    expect(res.status).toBe(400);
  });

  it('fails app deliveries and invocations to a name that resolves to a refused address, with the reason, logged once', async () => {
    const localhostUrl = receiver.url.replace('127.0.0.1', 'localhost');
    expect((await call('PUT', '/v1.0/apps/app', { url: localhostUrl })).status).toBe(204);
    expect((await call('PUT', '/v1.0/apps/billing', { url: `${localhostUrl}/billing` })).status).toBe(204);
    const node = { duetime } as unknown as Node;
    const delivered = recordAttempts(node, 'callback');
    const invoked = recordAttempts(node, 'invoke');
    const again = recordAttempts(node, 'again');
    expect((await call('POST', '/v1.0/jobs/callback', { dueTime: '0s', failurePolicy: { drop: {} } })).status).toBe(204);
    expect((await call('POST', '/v1.0/jobs/invoke', { dueTime: '0s', failurePolicy: { drop: {} }, target: { invoke: { appId: 'billing', method: 'charge' } } })).status).toBe(204);
    await delivered.waitFor((all) => all.length === 1);
    await invoked.waitFor((all) => all.length === 1);
    expect((await call('POST', '/v1.0/jobs/again', { dueTime: '0s', failurePolicy: { drop: {} } })).status).toBe(204);
    await again.waitFor((all) => all.length === 1);
    for (const attempt of [delivered.attempts[0]!, invoked.attempts[0]!, again.attempts[0]!]) {
      expect(attempt.outcome).not.toBe('success');
      expect(attempt.detail).toMatch(/localhost.*(127\.0\.0\.1|::1).*--allow-outbound/);
    }
    expect(receiver.received).toHaveLength(0);
    // The job's status says why: its history keeps the refused attempt with the reason.
    const history = await call('GET', '/v1.0/jobs/callback/history');
    expect(history.status).toBe(200);
    expect(JSON.stringify(history.body)).toMatch(/outbound connection refused: localhost resolved to .*--allow-outbound/);
    const refusals = logLines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('outbound connection refused by the outbound policy'));
    const perAddress = new Map<string, number>();
    for (const l of refusals) perAddress.set(String(l.address), (perAddress.get(String(l.address)) ?? 0) + 1);
    expect(refusals.length).toBeGreaterThan(0);
    expect([...perAddress.values()].every((n) => n === 1), JSON.stringify(refusals)).toBe(true);
  });

  it('fails bindings.http calls and actor reminders to such a name the same way', async () => {
    const binding = recordAttempts({ duetime } as unknown as Node, 'hook');
    expect((await call('POST', '/v1.0/jobs/hook', { dueTime: '0s', data: 1, failurePolicy: { drop: {} }, target: { binding: { name: 'webhook', operation: 'create' } } })).status).toBe(204);
    await binding.waitFor((all) => all.length === 1);
    expect(binding.attempts[0]!.outcome).not.toBe('success');
    expect(binding.attempts[0]!.detail).toMatch(/localhost resolved to .*--allow-outbound/);

    const reminders: Array<{ outcome: string; detail?: string }> = [];
    duetime.engine.events.on('attempted', ({ trigger, outcome, detail }) => {
      if (trigger.target.kind === 'actor') reminders.push({ outcome, ...(detail !== undefined ? { detail } : {}) });
    });
    expect((await call('PUT', '/v1.0/apps/actors', { url: receiver.url.replace('127.0.0.1', 'localhost'), actorTypes: ['Cart'] })).status).toBe(204);
    expect((await call('POST', '/v1.0/actors/Cart/c1/reminders/nag', { dueTime: '0s' })).status).toBe(204);
    const deadline = Date.now() + 30_000;
    while (reminders.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reminders[0]?.outcome).not.toBe('success');
    expect(reminders[0]?.detail).toMatch(/localhost resolved to .*--allow-outbound/);
    expect((await call('DELETE', '/v1.0/actors/Cart/c1/reminders/nag')).status).toBe(204);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('a stored registration is checked again when the policy is narrowed', () => {
  let receiver: RecordingReceiver;
  let dataDir: string;
  let duetime: RunningDuetime | undefined;

  beforeAll(async () => {
    receiver = await new RecordingReceiver().start();
    dataDir = mkdtempSync(join(tmpdir(), 'duetime-outbound-'));
  });
  afterAll(async () => {
    await duetime?.stop();
    await receiver?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails the attempt to an IP literal the new list leaves out, sending nothing', async () => {
    const start = (allowOutbound?: string): Promise<RunningDuetime> =>
      startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir, appId: 'app', ...(allowOutbound ? { allowOutbound } : {}) } as Partial<DuetimeConfig>, { logger: quiet });
    duetime = await start();
    const put = await fetch(`${duetime.httpUrl}/v1.0/apps/app`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: receiver.url }) });
    expect(put.status).toBe(204);
    await duetime.stop();
    // The registration stays in the store; the next start allows only 10.0.0.0/8.
    duetime = await start('10.0.0.0/8');
    const attempts = recordAttempts({ duetime } as unknown as Node, 'stored');
    const res = await fetch(`${duetime.httpUrl}/v1.0/jobs/stored`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dueTime: '0s', failurePolicy: { drop: {} } }) });
    expect(res.status).toBe(204);
    await attempts.waitFor((all) => all.length === 1);
    expect(attempts.attempts[0]!.outcome).not.toBe('success');
    expect(attempts.attempts[0]!.detail).toMatch(/127\.0\.0\.1: not allowed by --allow-outbound/);
    expect(receiver.received).toHaveLength(0);
  });
});
