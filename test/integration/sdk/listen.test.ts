// listen() against a real Duetime: triggers reach handlers, acks follow the handler's outcome,
// and the listener reconnects by itself after the server restarts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDuetime, type RunningDuetime } from '../../../src/main.js';
import { DuetimeClient, listen, type JobListener, type JobTrigger } from '@duetime/sdk';

const logger = pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' });
let dataDir: string;
let server: RunningDuetime;
let client: DuetimeClient;
const listeners: JobListener[] = [];

async function start(schedulerPort = 0): Promise<RunningDuetime> {
  return startDuetime({ port: 0, grpcPort: 0, schedulerPort, dataDir, appId: 'default-app' }, { logger });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'duetime-sdk-'));
  server = await start();
  client = new DuetimeClient({ baseUrl: server.httpUrl, appId: 'worker' });
});
afterEach(async () => {
  for (const listener of listeners.splice(0)) await listener.close();
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Collects triggers; `until` resolves once `count` have arrived. */
function collector(): { seen: JobTrigger[]; handler: (job: JobTrigger) => void; until(count: number, timeoutMs?: number): Promise<void> } {
  const seen: JobTrigger[] = [];
  let wake: (() => void) | undefined;
  return {
    seen,
    handler: (job) => {
      seen.push(job);
      wake?.();
    },
    until(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} triggers after ${timeoutMs} ms`)), timeoutMs);
        const check = (): void => {
          if (seen.length < count) return;
          clearTimeout(timer);
          resolve();
        };
        wake = check;
        check();
      });
    },
  };
}

function startListening(options: Omit<Parameters<typeof listen>[0], 'appId'> & { appId?: string }): JobListener {
  const listener = listen({ address: `127.0.0.1:${server.schedulerPort}`, appId: 'worker', reconnect: { initialMs: 50, maxMs: 500 }, ...options });
  listeners.push(listener);
  return listener;
}

describe('listen()', () => {
  it('hands each trigger to the handler of its job name, with its JSON data', async () => {
    const reports = collector();
    const listener = startListening({ handlers: { report: reports.handler } });
    await listener.ready();
    expect(listener.connected).toBe(true);
    const dueAt = Date.now() + 500;
    await client.schedule('report', { dueTime: new Date(dueAt).toISOString(), data: { to: 'ops', pages: [1, 2] } });
    await reports.until(1);
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt);
    expect(reports.seen[0]).toMatchObject({ name: 'report', data: { to: 'ops', pages: [1, 2] }, appId: 'worker', namespace: 'default' });
  });

  it('acks SUCCESS when the handler resolves and FAILED when it throws (then retried)', async () => {
    const errors: Error[] = [];
    let calls = 0;
    const listener = startListening({
      handlers: {
        flaky: async () => {
          calls++;
          if (calls === 1) throw new Error('first call fails');
        },
      },
      onError: (error) => errors.push(error),
    });
    await listener.ready();
    await client.schedule('flaky', { schedule: '@every 1h', dueTime: '0s', failurePolicy: { constant: { interval: '200ms', maxRetries: 3 } } });
    await expect.poll(async () => (await client.history('flaky')).map((h) => [h.attempt, h.outcome]).reverse(), { timeout: 20_000 }).toEqual([
      [1, 'failed'],
      [2, 'success'],
    ]);
    expect(errors.map((e) => e.message)).toContain('first call fails');
  });

  it('sends jobs without a handler to the fallback; without one they are answered FAILED', async () => {
    const fallback = collector();
    const listener = startListening({ handlers: {}, fallback: fallback.handler });
    await listener.ready();
    await client.schedule('anything', { dueTime: '0s' });
    await fallback.until(1);
    expect(fallback.seen[0]!.name).toBe('anything');
    await listener.close();

    const errors: Error[] = [];
    const strict = startListening({ handlers: {}, onError: (e) => errors.push(e) });
    await strict.ready();
    await client.schedule('unhandled', { schedule: '@every 1h', dueTime: '0s', failurePolicy: { drop: {} } });
    await expect.poll(async () => (await client.history('unhandled')).map((h) => h.outcome), { timeout: 20_000 }).toEqual(['dropped']);
    expect(errors.some((e) => /no handler for job "unhandled"/.test(e.message))).toBe(true);
  });

  it('refuses options without a handlers map at once, naming it (from JavaScript every trigger failed with a TypeError)', () => {
    const untyped = { address: '127.0.0.1:1', appId: 'no-map', fallback: () => undefined } as unknown as Parameters<typeof listen>[0];
    expect(() => listen(untyped)).toThrow(/options\.handlers is required/);
  });

  it('two listeners of one app share its triggers', async () => {
    const a = collector();
    const b = collector();
    await Promise.all([startListening({ handlers: { share: a.handler } }).ready(), startListening({ handlers: { share: b.handler } }).ready()]);
    await client.schedule('share', { schedule: '@every 100ms', repeats: 4 });
    await expect.poll(() => a.seen.length + b.seen.length, { timeout: 20_000 }).toBe(4);
    expect([a.seen.length, b.seen.length]).toEqual([2, 2]);
  });

  it('reconnects after the server restarts, and receives what was scheduled meanwhile', async () => {
    const wakeups = collector();
    let connects = 0;
    const listener = startListening({ handlers: { wakeup: wakeups.handler }, onConnect: () => connects++ });
    await listener.ready();
    expect(connects).toBe(1);

    const port = server.schedulerPort;
    await server.stop();
    await expect.poll(() => listener.connected, { timeout: 10_000 }).toBe(false);

    server = await start(port); // same data, same scheduler address
    client = new DuetimeClient({ baseUrl: server.httpUrl, appId: 'worker' });
    await client.schedule('wakeup', { dueTime: '0s', data: 'after restart' });
    await wakeups.until(1, 30_000);
    expect(wakeups.seen[0]!.data).toBe('after restart');
    expect(listener.connected).toBe(true);
    expect(connects).toBe(2);
  });

  it('against a single node, keeps the address it was given (WatchHosts answers the node\'s own, maybe under another name)', async () => {
    const given = `localhost:${server.schedulerPort}`; // the node announces 127.0.0.1:<port>
    const seenHere = collector();
    const listener = startListening({ address: given, handlers: { alias: seenHere.handler } });
    await listener.ready();
    expect(listener.connections).toEqual([{ address: given, connected: true }]);
    await client.schedule('alias', { dueTime: '0s' });
    await seenHere.until(1);
    expect(listener.connections).toEqual([{ address: given, connected: true }]);
  });

  it('close() stops it for good', async () => {
    const listener = startListening({ handlers: {} });
    await listener.ready();
    await listener.close();
    expect(listener.connected).toBe(false);
    await expect(listener.ready()).rejects.toThrow(/closed/);
    await expect.poll(() => server.engine.stats().inFlight, { timeout: 5_000 }).toBe(0);
  });
});
