// listen() against a server that ends its WatchJobs stream with an error status while the
// listener's side is still open: at the initial message (a token the server refuses) or later (a
// token revoked by a reload). The listener must see the end at once, report it and reconnect; it
// used to wait for the HTTP/2 stream to close, which a gRPC server does not do after its status
// while the client still sends, so the listener hung, reporting nothing (and `connected` stayed
// true after a revocation). And a token given as a function is read again at each reconnect, so a
// worker whose token was rotated by a reload picks up the new one without a restart.

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

  // A token given as a string is presented at every reconnect, so after a rotation the worker
  // retried its revoked token forever and needed a restart. A function is asked again at each
  // (re)connect of WatchJobs and each (re)open of WatchHosts.
  it('reads a token function again at each reconnect: after the server rotated the token, the new one is used and triggers arrive', async () => {
    writeFileSync(config, 'tokens:\n  - token: good-token\n    appId: worker\n  - token: other-token\n    appId: worker\n  - token: first-token\n    appId: worker\n');
    expect(server.reload().tokens.result).toBe('reloaded');
    let current = 'first-token';
    const asked: string[] = [];
    // As a worker reading its token from a file or a secret store would: asynchronously.
    const apiToken = async (): Promise<string> => {
      await new Promise((resolve) => setImmediate(resolve));
      asked.push(current);
      return current;
    };
    const errors: string[] = [];
    const received: string[] = [];
    const listener = listen({
      address: `127.0.0.1:${server.schedulerPort}`,
      appId: 'worker',
      apiToken,
      handlers: { 'after-rotation': (job) => void received.push(job.name) },
      reconnect: { initialMs: 50, maxMs: 200 },
      onError: (e) => errors.push(e.message),
    });
    listeners.push(listener);
    try {
      await Promise.race([listener.ready(), new Promise((_, reject) => setTimeout(() => reject(new Error('not ready 20 s after listen()')), 20_000))]);

      // The server rotates: first-token is revoked, second-token takes its place. The worker does
      // not know yet: its function still answers first-token, refused at each try.
      writeFileSync(config, 'tokens:\n  - token: good-token\n    appId: worker\n  - token: other-token\n    appId: worker\n  - token: second-token\n    appId: worker\n');
      expect(server.reload().tokens.result).toBe('reloaded');
      await expect.poll(() => watchJobsErrors(errors).filter((m) => /UNAUTHENTICATED/.test(m)).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      await expect.poll(() => watchHostsErrors(errors).filter((m) => /refused/.test(m)).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
      expect(listener.connected).toBe(false);

      // The worker's secret is updated: the next reconnect reads it, without a restart.
      current = 'second-token';
      await expect.poll(() => listener.connected, { timeout: 20_000 }).toBe(true);
      expect(asked).toContain('second-token');
      const res = await fetch(`${server.httpUrl}/v1.0/jobs/after-rotation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'dapr-api-token': 'good-token', 'dapr-app-id': 'worker' },
        body: JSON.stringify({ dueTime: '0s' }),
      });
      expect(res.status).toBe(204);
      await expect.poll(() => received, { timeout: 20_000 }).toEqual(['after-rotation']);

      // WatchHosts was opened again with the new token too: it stops being refused.
      const refusedHosts = (): number => watchHostsErrors(errors).filter((m) => /refused/.test(m)).length;
      await expect.poll(() => asked.filter((t) => t === 'second-token').length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
      const settled = refusedHosts();
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // five backoffs of at most 200 ms
      expect(refusedHosts()).toBe(settled);
      expect(errors.filter((m) => /second-token|first-token/.test(m))).toEqual([]);
    } finally {
      writeFileSync(config, 'tokens:\n  - token: good-token\n    appId: worker\n  - token: other-token\n    appId: worker\n');
      server.reload();
    }
  });

  it('reports a token function that throws, rejects or answers no string, naming neither the token nor the value, and asks again', async () => {
    const answers: Array<() => string | undefined | Promise<string | undefined>> = [
      () => {
        throw new Error('the secret store is down');
      },
      () => Promise.reject(new Error('timed out reading the token file')),
      () => 7_777_777 as unknown as string,
      () => Promise.resolve('good-token\n'), // a token file read as it is, newline and all
    ];
    const apiToken = (): string | undefined | Promise<string | undefined> => (answers.shift() ?? (() => 'good-token'))();
    const errors: string[] = [];
    const listener = listen({ address: `127.0.0.1:${server.schedulerPort}`, appId: 'worker', apiToken, handlers: {}, reconnect: { initialMs: 50, maxMs: 200 }, onError: (e) => errors.push(e.message) });
    listeners.push(listener);
    await Promise.race([listener.ready(), new Promise((_, reject) => setTimeout(() => reject(new Error('not ready 20 s after listen()')), 20_000))]);
    // WatchJobs and WatchHosts each read the token: the four bad answers went to one or the other.
    const reported = errors.filter((m) => /apiToken function/.test(m));
    expect(reported).toHaveLength(4);
    expect(reported.join('\n')).toMatch(/the apiToken function failed: the secret store is down; (reconnecting|asking again) in \d+ ms/);
    expect(reported.join('\n')).toMatch(/the apiToken function failed: timed out reading the token file/);
    expect(reported.join('\n')).toMatch(/the apiToken function answered a number; it must answer a string \(or undefined for no token\)/);
    expect(reported.join('\n')).toMatch(/the apiToken function answered a token that holds a character a header cannot carry \(a line break, say: a token file read with its trailing newline\); trim it/);
    expect(reported.join('\n')).not.toMatch(/7777777|good-token/);
    for (const message of reported) expect(message).toMatch(/^(WatchJobs stream to 127\.0\.0\.1:\d+ not opened|WatchHosts not asked): /);
  });

  it('refuses an apiToken that is neither a string nor a function, or that a header cannot carry, at once, never showing it', () => {
    const untyped = { address: '127.0.0.1:1', appId: 'worker', apiToken: 12345, handlers: {} } as unknown as Parameters<typeof listen>[0];
    expect(() => listen(untyped)).toThrow('listen(): options.apiToken must be a string or a function returning one (or a promise of one), not a number');
    expect(() => listen(untyped)).not.toThrow(/12345/);
    // grpc-js's own refusal of such a value quoted it, token and all.
    const newline = { address: '127.0.0.1:1', appId: 'worker', apiToken: 'secret-from-file\n', handlers: {} };
    expect(() => listen(newline)).toThrow('listen(): options.apiToken holds a character a header cannot carry (a line break, say: a token file read with its trailing newline); trim it');
    expect(() => listen(newline)).not.toThrow(/secret/);
  });
});
