// listen() against a server that ends its WatchJobs stream with an error status while the
// listener's side is still open: at the initial message (a token the server refuses) or later (a
// token revoked by a reload). The listener must see the end at once, report it and reconnect; it
// used to wait for the HTTP/2 stream to close, which a gRPC server does not do after its status
// while the client still sends, so the listener hung, reporting nothing (and `connected` stayed
// true after a revocation).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen, type JobListener } from '@duetime/sdk';
import { startDuetime, type RunningDuetime } from '../../../src/main.js';

const logger = pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' });
let dir: string;
let config: string;
let server: RunningDuetime;
const listeners: JobListener[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duetime-sdk-refused-'));
  config = join(dir, 'config.yaml');
  writeFileSync(config, 'tokens:\n  - token: good-token\n    appId: worker\n  - token: other-token\n    appId: worker\n');
  server = await startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir: join(dir, 'data'), configFile: config }, { logger });
});
afterEach(async () => {
  for (const listener of listeners.splice(0)) await listener.close();
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function watchJobsErrors(errors: string[]): string[] {
  return errors.filter((m) => m.startsWith('WatchJobs stream'));
}

function watchHostsErrors(errors: string[]): string[] {
  return errors.filter((m) => m.startsWith('WatchHosts'));
}

describe('listen() when the server ends the stream with a status', () => {
  it('reports a refused token at once and keeps trying', async () => {
    const errors: string[] = [];
    const listener = listen({ address: `127.0.0.1:${server.schedulerPort}`, appId: 'worker', apiToken: 'wrong-token', handlers: {}, reconnect: { initialMs: 50, maxMs: 200 }, onError: (e) => errors.push(e.message) });
    listeners.push(listener);
    await expect.poll(() => watchJobsErrors(errors).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(watchJobsErrors(errors)[0]).toMatch(/failed: 16 UNAUTHENTICATED: the API token is not valid; reconnecting/);
    expect(listener.connected).toBe(false);
  });

  it('sees a stream ended after a reload revoked its token: no longer connected, and reported', async () => {
    const errors: string[] = [];
    const listener = listen({ address: `127.0.0.1:${server.schedulerPort}`, appId: 'worker', apiToken: 'other-token', handlers: {}, reconnect: { initialMs: 50, maxMs: 200 }, onError: (e) => errors.push(e.message) });
    listeners.push(listener);
    await listener.ready();
    writeFileSync(config, 'tokens:\n  - token: good-token\n    appId: worker\n');
    try {
      expect(server.reload().tokens.result).toBe('reloaded');
      await expect.poll(() => watchJobsErrors(errors).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
      expect(watchJobsErrors(errors)[0]).toMatch(/failed: 16 UNAUTHENTICATED/);
      await expect.poll(() => listener.connected, { timeout: 10_000 }).toBe(false);
    } finally {
      writeFileSync(config, 'tokens:\n  - token: good-token\n    appId: worker\n  - token: other-token\n    appId: worker\n');
      server.reload();
    }
  });

  // WatchHosts refused for the token is not a server without WatchHosts (UNIMPLEMENTED,
  // listen-old-server.test.ts): it used to be reported as "not available" and never asked again,
  // so a listener in a cluster kept to its given addresses for good, even once the token held.
  it('reports WatchHosts refusing the token as a refusal and keeps asking; once the token holds it follows WatchHosts', async () => {
    const errors: string[] = [];
    const listener = listen({ address: `127.0.0.1:${server.schedulerPort}`, appId: 'worker', apiToken: 'late-token', handlers: {}, reconnect: { initialMs: 50, maxMs: 200 }, onError: (e) => errors.push(e.message) });
    listeners.push(listener);
    try {
      await expect.poll(() => watchHostsErrors(errors).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      expect(watchHostsErrors(errors)[0]).toMatch(/^WatchHosts on 127\.0\.0\.1:\d+ was refused \(16 UNAUTHENTICATED: the API token is not valid\): check the listener's apiToken; asking again in \d+ ms$/);
      expect(errors.filter((m) => /not available/.test(m))).toEqual([]);

      writeFileSync(config, 'tokens:\n  - token: good-token\n    appId: worker\n  - token: other-token\n    appId: worker\n  - token: late-token\n    appId: worker\n');
      expect(server.reload().tokens.result).toBe('reloaded');
      await Promise.race([listener.ready(), new Promise((_, reject) => setTimeout(() => reject(new Error('not ready 20 s after the token was added')), 20_000))]);
      expect(listener.connections).toEqual([{ address: `127.0.0.1:${server.schedulerPort}`, connected: true }]);
      expect(errors.filter((m) => /not available/.test(m))).toEqual([]);
    } finally {
      writeFileSync(config, 'tokens:\n  - token: good-token\n    appId: worker\n  - token: other-token\n    appId: worker\n');
      server.reload();
    }
  });
});
