// Rotating and revoking API tokens without a restart: SIGHUP reads the `tokens:` of --config (and
// --api-token-file) again. A revoked token is refused at once over HTTP and gRPC, a new one works
// at once, and a stream that was opened with a token that is no longer valid (or now bound to
// another app) is ended; the trigger it held goes to a stream with a valid token, none lost.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen, type JobListener, type JobTrigger } from '@duetime/sdk';
import type { DuetimeConfig } from '../../src/config/config.js';
import { startDuetime, type RunningDuetime } from '../../src/main.js';
import { spawnDuetime, type DuetimeProcess } from '../../src/testing/duetime-process.js';
import { eventually } from './components/helpers.js';
import { daprRuntimeClient, daprSchedulerClient, grpcError, unary, WatchConsumer, within } from './grpc/helpers.js';

const quiet = pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' });
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-token-reload-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const owner = (appId: string) => ({ appId, namespace: 'default', target: { job: {} } });

async function scheduleOver(url: string, token: string, name: string, body: Record<string, unknown>, appId = 'orders'): Promise<number> {
  const res = await fetch(`${url}/v1.0/jobs/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'dapr-api-token': token, 'dapr-app-id': appId },
    body: JSON.stringify(body),
  });
  await res.body?.cancel();
  return res.status;
}

/** WatchHosts with a token; resolves with how the stream ended (undefined while it stays open). */
function watchHosts(client: Client, token: string): { call: ClientReadableStream<unknown>; first: Promise<unknown>; ended: Promise<ServiceError | undefined> } {
  const metadata = new Metadata();
  metadata.set('dapr-api-token', token);
  const call = (client as unknown as { WatchHosts(req: object, md: Metadata): ClientReadableStream<unknown> }).WatchHosts({}, metadata);
  const ended = new Promise<ServiceError | undefined>((resolve) => {
    call.on('error', (error: ServiceError) => resolve(error));
    call.on('end', () => resolve(undefined));
  });
  const first = new Promise((resolve, reject) => {
    call.once('data', resolve);
    call.once('error', reject);
  });
  first.catch(() => undefined);
  return { call, first, ended };
}

describe('reload() of a running server', () => {
  let node: RunningDuetime | undefined;
  let scheduler: Client | undefined;
  let runtime: Client | undefined;
  const consumers: WatchConsumer[] = [];
  afterEach(async () => {
    for (const consumer of consumers.splice(0)) consumer.call.cancel();
    scheduler?.close();
    runtime?.close();
    await node?.stop();
    node = undefined;
  });

  async function start(config: string, values: Partial<DuetimeConfig> = {}): Promise<RunningDuetime> {
    node = await startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir: join(dir, `data-${Math.random().toString(36).slice(2)}`), appId: 'app', configFile: config, ...values }, { logger: quiet });
    scheduler = daprSchedulerClient(node.schedulerPort);
    runtime = daprRuntimeClient(node.grpcPort);
    return node;
  }

  function consumer(appId: string, token: string): WatchConsumer {
    const made = new WatchConsumer(scheduler!, { appId }, { 'dapr-api-token': token });
    consumers.push(made);
    return made;
  }

  it('ends a WatchJobs stream of a revoked token with UNAUTHENTICATED; the trigger it held goes to the new token\'s stream', async () => {
    const config = join(dir, 'revoke.yaml');
    writeFileSync(config, 'tokens:\n  - token: old-token\n    appId: orders\n');
    const server = await start(config);
    const revoked = consumer('orders', 'old-token');
    revoked.answer = () => 'none'; // holds what it gets: in flight at the reload
    await within(revoked.connected(), 20_000, 'the old token\'s stream');
    expect(await scheduleOver(server.httpUrl, 'old-token', 'held', { dueTime: '0s' })).toBe(204);
    await revoked.waitFor(() => revoked.forJob('held').length === 1, 20_000, 'the held trigger');

    writeFileSync(config, 'tokens:\n  - token: new-token\n    appId: orders\n');
    const outcome = server.reload();
    expect(outcome.tokens).toEqual({ result: 'reloaded', files: [config], changes: { added: 1, removed: 1, rebound: 0, total: 1 } });
    const ended = await within(revoked.ended, 10_000, 'the revoked stream to end');
    expect(ended?.code).toBe(status.UNAUTHENTICATED);

    // At once, on every port: the old token is refused, the new one works.
    expect(await scheduleOver(server.httpUrl, 'old-token', 'refused', { dueTime: '1h' })).toBe(401);
    expect((await grpcError(unary(scheduler!, 'ListJobs', { metadata: owner('orders') }, { 'dapr-api-token': 'old-token' }))).code).toBe(status.UNAUTHENTICATED);
    expect((await grpcError(unary(runtime!, 'GetJobAlpha1', { name: 'held' }, { 'dapr-api-token': 'old-token' }))).code).toBe(status.UNAUTHENTICATED);
    expect((await unary<{ job: { name: string } }>(runtime!, 'GetJobAlpha1', { name: 'held' }, { 'dapr-api-token': 'new-token' })).job.name).toBe('held');
    expect((await within(consumer('orders', 'old-token').ended, 10_000, 'a new stream with the old token'))?.code).toBe(status.UNAUTHENTICATED);

    // The trigger the revoked stream held was handed back (staged: no other stream) and goes to
    // the first stream with a valid token.
    const fresh = consumer('orders', 'new-token');
    await within(fresh.connected(), 20_000, 'the new token\'s stream');
    await fresh.waitFor(() => fresh.forJob('held').length === 1, 20_000, 'the held trigger on the new stream');
    expect(revoked.forJob('held')).toHaveLength(1);
  });

  it('ends a stream whose token is now bound to another app with PERMISSION_DENIED, and WatchHosts of a revoked token; valid streams stay', async () => {
    const config = join(dir, 'rebind.yaml');
    writeFileSync(config, 'tokens:\n  - token: moving-token\n    appId: orders\n  - token: kept-token\n    appId: orders\n  - token: hosts-token\n');
    const server = await start(config);
    const moved = consumer('orders', 'moving-token');
    const kept = consumer('orders', 'kept-token');
    await within(Promise.all([moved.connected(), kept.connected()]), 20_000, 'both streams');
    const revokedHosts = watchHosts(scheduler!, 'hosts-token');
    const keptHosts = watchHosts(scheduler!, 'kept-token');
    await within(Promise.all([revokedHosts.first, keptHosts.first]), 20_000, 'both WatchHosts streams');

    writeFileSync(config, 'tokens:\n  - token: moving-token\n    appId: billing\n  - token: kept-token\n    appId: orders\n');
    expect(server.reload().tokens).toMatchObject({ result: 'reloaded', changes: { removed: 1, rebound: 1, total: 2 } });
    expect((await within(moved.ended, 10_000, 'the rebound stream to end'))?.code).toBe(status.PERMISSION_DENIED);
    expect((await within(revokedHosts.ended, 10_000, 'the revoked WatchHosts to end'))?.code).toBe(status.UNAUTHENTICATED);

    // The rebound token acts as its new app at once.
    expect((await grpcError(unary(scheduler!, 'ListJobs', { metadata: owner('orders') }, { 'dapr-api-token': 'moving-token' }))).code).toBe(status.PERMISSION_DENIED);
    expect(await unary<{ jobs: unknown[] }>(scheduler!, 'ListJobs', { metadata: owner('billing') }, { 'dapr-api-token': 'moving-token' })).toEqual({ jobs: [] });
    expect(await scheduleOver(server.httpUrl, 'moving-token', 'as-orders', { dueTime: '1h' }, 'orders')).toBe(403);

    // The streams whose token still holds for what they serve were left alone.
    let keptEnded = false;
    void kept.ended.then(() => (keptEnded = true));
    void keptHosts.ended.then(() => (keptEnded = true));
    expect(await scheduleOver(server.httpUrl, 'kept-token', 'after', { dueTime: '0s' })).toBe(204);
    await kept.waitFor(() => kept.forJob('after').length === 1, 20_000, 'a trigger on the kept stream');
    expect(keptEnded).toBe(false);
    keptHosts.call.cancel();
  });

  it('a file that does not read, lists one token for two apps, or makes an app token an API token, keeps the tokens in force and is counted', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'tokens:\n  - token: old-token\n    appId: orders\n');
    const server = await start(config, { appApiToken: 'to-apps-token' });
    const stream = consumer('orders', 'old-token');
    await within(stream.connected(), 20_000, 'the stream');
    writeFileSync(config, 'tokens:\n  - token: new-token\n    appId: orders\n  - appId: billing\n');
    const outcome = server.reload().tokens;
    expect(outcome).toMatchObject({ result: 'failed', error: expect.stringMatching(/bad\.yaml.*tokens\[1\]\.token/) });
    expect(await scheduleOver(server.httpUrl, 'old-token', 'still', { dueTime: '1h' })).toBe(204);
    expect(await scheduleOver(server.httpUrl, 'new-token', 'not-yet', { dueTime: '1h' })).toBe(401);
    expect(await scheduleOver(server.httpUrl, 'old-token', 'streamed', { dueTime: '0s' })).toBe(204);
    await stream.waitFor(() => stream.forJob('streamed').length === 1, 20_000, 'a trigger on the stream that was kept');
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/duetime_config_reloads_total\{setting="tokens",result="failed"\} 1/);

    // One token listed for two apps: which app it acts as would depend on the order. Refused the same way.
    writeFileSync(config, 'tokens:\n  - token: new-token\n    appId: orders\n  - token: new-token\n    appId: billing\n');
    expect(server.reload().tokens).toMatchObject({ result: 'failed', error: expect.stringMatching(/bad\.yaml: tokens\[1\]\.token is the same token as tokens\[0\]/) });
    expect(await scheduleOver(server.httpUrl, 'old-token', 'still-after-twice', { dueTime: '1h' })).toBe(204);
    expect(await scheduleOver(server.httpUrl, 'new-token', 'not-after-twice', { dueTime: '1h' })).toBe(401);
    const counted = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(counted).toMatch(/duetime_config_reloads_total\{setting="tokens",result="failed"\} 2/);

    // The token sent to apps with every delivery listed as an API token: every app would hold a key to the API.
    writeFileSync(config, 'tokens:\n  - token: old-token\n    appId: orders\n  - token: to-apps-token\n');
    const appToken = server.reload().tokens;
    expect(appToken).toMatchObject({ result: 'failed', error: expect.stringMatching(/^--app-api-token \/ DUETIME_APP_API_TOKEN is the same token as \S*bad\.yaml: tokens\[1\], an API token/) });
    expect(JSON.stringify(appToken)).not.toContain('to-apps-token');
    expect(await scheduleOver(server.httpUrl, 'to-apps-token', 'not-with-app-token', { dueTime: '1h' })).toBe(401);
    expect(await scheduleOver(server.httpUrl, 'old-token', 'still-after-app-token', { dueTime: '1h' })).toBe(204);
    const thrice = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(thrice).toMatch(/duetime_config_reloads_total\{setting="tokens",result="failed"\} 3/);
  });
});

describe('`duetime serve` on SIGHUP', () => {
  let child: DuetimeProcess | undefined;
  const listeners: JobListener[] = [];
  let release: (() => void) | undefined;
  afterEach(async () => {
    release?.();
    for (const listener of listeners.splice(0)) await listener.close();
    await child?.kill('SIGTERM');
    child = undefined;
  });

  /** The gRPC ports the server bound (it was started with port 0), from its "serving" log line. */
  function ports(output: string): { grpcPort: number; schedulerPort: number } {
    const line = output.split('\n').find((l) => l.includes('duetime is serving'));
    if (!line) throw new Error(`no serving line in:\n${output}`);
    return JSON.parse(line) as { grpcPort: number; schedulerPort: number };
  }

  it('refuses the old token at once on HTTP and gRPC, ends its WatchJobs stream, delivers to the new token\'s listener, and keeps the tokens on a bad file', async () => {
    const config = join(dir, 'serve.yaml');
    writeFileSync(config, 'tokens:\n  - token: old-token\n    appId: orders\n');
    child = await spawnDuetime(['--data-dir', join(dir, 'data-serve'), '--config', config, '--app-id', 'orders']);
    const running = child;
    const { grpcPort, schedulerPort } = ports(child.output());
    const runtime = daprRuntimeClient(grpcPort);
    try {
      // A listener with the old token holds one trigger (its handler has not finished) when the token goes.
      const oldSeen: string[] = [];
      const oldErrors: string[] = [];
      const held = new Promise<void>((resolve) => (release = resolve));
      const old = listen({
        address: `127.0.0.1:${schedulerPort}`,
        appId: 'orders',
        apiToken: 'old-token',
        handlers: {},
        fallback: (job: JobTrigger) => {
          oldSeen.push(job.name);
          return held;
        },
        onError: (error) => oldErrors.push(error.message),
        reconnect: { initialMs: 200, maxMs: 1_000 },
        closeTimeoutMs: 500,
      });
      listeners.push(old);
      await within(old.ready(), 20_000, 'the old token\'s listener');
      expect(await scheduleOver(child.url, 'old-token', 'held', { dueTime: '0s' })).toBe(204);
      await eventually('the held trigger at the old listener', () => oldSeen.includes('held'));
      // Due after the reload (on a loaded machine they may fall due before it: then the old
      // listener holds them too, and they are handed on with 'held'): all must reach the new
      // token's listener, none lost.
      const later = ['later-1', 'later-2', 'later-3'];
      for (const name of later) expect(await scheduleOver(child.url, 'old-token', name, { dueTime: '8s' })).toBe(204);

      writeFileSync(config, 'tokens:\n  - token: new-token\n    appId: orders\n');
      child.child.kill('SIGHUP');
      await eventually('the reload in the log', () => running.output().includes('API tokens reloaded'));
      expect(child.output()).toContain(`API tokens reloaded from ${config}`);
      expect(child.output()).not.toMatch(/new-token|old-token/);
      // Started without --access-control: with the tokens reloaded, saying so at every SIGHUP is noise (debug only).
      expect(child.output()).not.toContain('started without --access-control');
      expect(child.child.exitCode).toBeNull();
      const seenBeforeReload = oldSeen.length;

      expect(await scheduleOver(child.url, 'old-token', 'refused', { dueTime: '1h' })).toBe(401);
      expect((await grpcError(unary(runtime, 'GetJobAlpha1', { name: 'held' }, { 'dapr-api-token': 'old-token' }))).code).toBe(status.UNAUTHENTICATED);
      expect((await unary<{ job: { name: string } }>(runtime, 'GetJobAlpha1', { name: 'held' }, { 'dapr-api-token': 'new-token' })).job.name).toBe('held');
      // The old listener's stream was ended, and it cannot come back with that token.
      await eventually('the old WatchJobs stream ended as unauthenticated', () => oldErrors.some((m) => /^WatchJobs stream .* failed: 16 UNAUTHENTICATED/.test(m)));
      expect(old.connected).toBe(false);

      const fresh: string[] = [];
      const listener = listen({ address: `127.0.0.1:${schedulerPort}`, appId: 'orders', apiToken: 'new-token', handlers: {}, fallback: (job: JobTrigger) => void fresh.push(job.name) });
      listeners.push(listener);
      await within(listener.ready(), 20_000, 'the new token\'s listener');
      await eventually('every trigger at the new listener', () => ['held', ...later].every((name) => fresh.includes(name)), 40_000);
      // Nothing went to the revoked token's listener after the reload.
      expect(oldSeen).toHaveLength(seenBeforeReload);

      // A file that does not read: the tokens in force stay, and the log names the file and the field.
      writeFileSync(config, 'tokens:\n  - token: newer-token\n  - appId: orders\n');
      child.child.kill('SIGHUP');
      await eventually('the refused reload in the log', () => running.output().includes('API tokens not reloaded'));
      expect(child.output()).toMatch(/API tokens not reloaded, the previous tokens stay in force: \S*serve\.yaml: tokens\[1\]\.token/);
      expect(child.output()).not.toMatch(/newer-token/);
      expect(await scheduleOver(child.url, 'new-token', 'still-works', { dueTime: '1h' })).toBe(204);
      expect(await scheduleOver(child.url, 'newer-token', 'not-in-force', { dueTime: '1h' })).toBe(401);
      const metrics = await (await fetch(`${child.url}/metrics`)).text();
      expect(metrics).toMatch(/duetime_config_reloads_total\{setting="tokens",result="reloaded"\} 1/);
      expect(metrics).toMatch(/duetime_config_reloads_total\{setting="tokens",result="failed"\} 1/);
    } finally {
      runtime.close();
    }
  });
});
