// Each example under examples/ runs as a newcomer would run it: plain `node` on the .mjs file,
// importing the SDK's build (@duetime/sdk, as installed), against a real Duetime (and a real
// Redis or etcd where the example needs one). Each must print its "done" line and exit 0.

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startEtcd } from '../../../src/testing/servers/etcd.js';
import { freePort } from '../../../src/testing/servers/free-port.js';
import { startRedis } from '../../../src/testing/servers/redis.js';
import { makeTempDir } from '../../../src/testing/servers/temp-dir.js';
import { startNode } from '../support.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs an example with plain node (no TypeScript, no source condition), bounded in time. */
function runExample(file: string, env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const { NODE_OPTIONS: _ignored, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [join(EXAMPLES, file)], { env: { ...inherited, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function node(config: Parameters<typeof startNode>[0] = {}) {
  const n = await startNode(config);
  cleanups.push(() => n.close());
  return n;
}

describe('examples', () => {
  it('http-app: registers itself, and its two jobs trigger four times', async () => {
    const n = await node();
    const run = await runExample('http-app/app.mjs', { DUETIME_URL: n.duetime.httpUrl, APP_PORT: String(await freePort()) });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('received welcome attempt 1');
    expect(run.stdout.match(/received heartbeat/g)).toHaveLength(3);
    expect(run.stdout).toContain('done: every trigger arrived');
    expect(run.code).toBe(0);
  });

  it('listen-worker: receives its three jobs over the WatchJobs stream', async () => {
    const n = await node();
    const run = await runExample('listen-worker/worker.mjs', { DUETIME_URL: n.duetime.httpUrl, DUETIME_SCHEDULER_ADDRESS: `127.0.0.1:${n.duetime.schedulerPort}` });
    for (let i = 1; i <= 3; i++) expect(run.stdout).toContain(`handling send-email-${i} with {"to":"user${i}@example.com"}`);
    expect(run.stdout).toContain('done: every trigger arrived');
    expect(run.code).toBe(0);
  });

  it('delayed-publish: the job publishes its data as a CloudEvent to Redis at the due time', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const components = makeTempDir('example-components');
    cleanups.push(() => components.remove());
    // The example's component, pointed at this test's Redis.
    const yaml = readFileSync(join(EXAMPLES, 'delayed-publish/components/events.yaml'), 'utf8').replace('localhost:6379', `127.0.0.1:${redis.port}`);
    writeFileSync(join(components.path, 'events.yaml'), yaml);
    const n = await node({ componentsPath: components.path });
    const run = await runExample('delayed-publish/publish.mjs', { DUETIME_URL: n.duetime.httpUrl, REDIS_URL: `redis://127.0.0.1:${redis.port}` });
    expect(run.stdout).toMatch(/received a com\.dapr\.event\.sent event on orders after [3-9]\.\d s: \{"order":7,"reminder":"your basket is waiting"\}/);
    expect(run.stdout).toContain('done: the event arrived');
    expect(run.code).toBe(0);
  });

  it('reminder: an actor host gets its reminder three times', async () => {
    const n = await node();
    const run = await runExample('reminder/actor-host.mjs', { DUETIME_URL: n.duetime.httpUrl, APP_PORT: String(await freePort()) });
    expect(run.stdout.match(/reminder checkout-nudge of Cart cart-42/g)).toHaveLength(3);
    expect(run.stdout).toContain('done: three reminder calls arrived');
    expect(run.code).toBe(0);
  });

  it('cluster: three replicas on etcd fire 30 jobs, each by one replica', async () => {
    const etcd = await startEtcd();
    cleanups.push(() => etcd.stop());
    const run = await runExample('cluster/start-cluster.mjs', { ETCD: etcd.storeUrl, BASE_PORT: String(await threeFreePorts()) }, 120_000);
    expect(run.stdout).toContain('cluster of 3');
    expect(run.stdout).toMatch(/fired 30 of 30: replica-1 \d+, replica-2 \d+, replica-3 \d+/);
    expect(run.stdout).toContain('done: every job fired');
    expect(run.code).toBe(0);
  }, 150_000);
});

/** A port p with p, p+1 and p+2 free (the cluster example takes three in a row). */
async function threeFreePorts(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer().once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await free(base)) && (await free(base + 1)) && (await free(base + 2))) return base;
  }
  throw new Error('no three consecutive free ports in 20000-30000');
}
