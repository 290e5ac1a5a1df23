// The SDK ships alone. `npm pack` on packages/sdk (its prepack builds it), the tarball installed
// into an empty folder from npm's cache only (`npm ci --offline` over a lockfile derived from the
// repository's, so npm has nothing to resolve and asks the registry nothing), then imported by
// plain Node (no tsx, no source condition) and used against a real Duetime: listen() receives
// one job that DuetimeClient scheduled. The installed tree holds @duetime/sdk, the two gRPC
// packages and their own dependencies, nothing of the server's and nothing compiled.
// When the cache lacks a package (npm ci never ran here), it falls back to `npm install` from
// the registry and makes the same checks on what arrived.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDuetime, type RunningDuetime } from '../../../src/main.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SDK_DIR = path.join(ROOT, 'packages/sdk');
const STEP_TIMEOUT_MS = 120_000;
const run = promisify(execFile);

type LockEntry = { version?: string; integrity?: string; resolved?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; [key: string]: unknown };
type Lock = { packages: Record<string, LockEntry> };

/** Without NODE_OPTIONS' source condition (the tests' own) and npm's per-run settings: an app's plain environment. */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (key !== 'NODE_OPTIONS' && !key.toLowerCase().startsWith('npm_')) env[key] = value;
  return env;
}

/**
 * The SDK's dependency closure as the repository's package-lock pins it: for each package the
 * entry Node's lookup finds from its requirer (nested first, then hoisted). Keyed by name.
 */
function closureFromRepositoryLock(sdkDependencies: string[]): Map<string, LockEntry> {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
  const find = (from: string, name: string): string => {
    for (let at = from; ; ) {
      const candidate = `${at ? `${at}/` : ''}node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (!at) throw new Error(`${name} (needed by ${from || 'the SDK'}) is not in package-lock.json`);
      const cut = at.lastIndexOf('/node_modules/');
      at = cut >= 0 ? at.slice(0, cut) : '';
    }
  };
  const byName = new Map<string, LockEntry>();
  const queue: Array<[from: string, name: string]> = sdkDependencies.map((name) => ['', name]);
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [from, name] = next;
    const location = find(from, name);
    const entry = lock.packages[location]!;
    const seen = byName.get(name);
    if (seen) {
      if (seen.version !== entry.version) throw new Error(`two versions of ${name} in the SDK's closure: a flat lockfile cannot hold them`);
      continue;
    }
    byName.set(name, entry);
    for (const dependency of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})]) queue.push([location, dependency]);
  }
  return byName;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

const CONSUMER = `
import { DuetimeClient, listen } from '@duetime/sdk';

const [httpUrl, schedulerAddress] = process.argv.slice(2);
const client = new DuetimeClient({ baseUrl: httpUrl, appId: 'packed-app' });
const trigger = await new Promise((resolve, reject) => {
  const listener = listen({
    address: schedulerAddress,
    appId: 'packed-app',
    handlers: { 'packed-job': (job) => resolve({ job, listener }) },
    onError: (error) => console.error(String(error)),
  });
  listener.ready().then(() => client.schedule('packed-job', { dueTime: '0s', data: { from: 'the packed SDK' } })).catch(reject);
});
await trigger.listener.close();
console.log(JSON.stringify({ name: trigger.job.name, data: trigger.job.data }));
`;

describe('the packed SDK', () => {
  let work: string;
  let server: RunningDuetime;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'duetime-sdk-pack-'));
    mkdirSync(path.join(work, 'data'));
    server = await startDuetime({ port: 0, grpcPort: 0, schedulerPort: 0, dataDir: path.join(work, 'data'), appId: 'default-app' }, { logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs alone from npm pack, offline, and receives a job with plain Node', { timeout: 4 * STEP_TIMEOUT_MS }, async () => {
    // 1. Pack: built JavaScript, declarations, the .proto files, nothing else.
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: SDK_DIR, env: plainEnv(), timeout: STEP_TIMEOUT_MS, maxBuffer: 16 << 20 });
    const [tarball] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; integrity: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
    const shipped = tarball!.files.map((f) => f.path);
    expect(shipped.filter((f) => !/^(dist\/.+\.(js|d\.ts)|proto\/.+\.proto|package\.json|README\.md)$/.test(f))).toEqual([]);
    expect(shipped).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/protocol/index.js', 'proto/dapr/proto/scheduler/v1/duetime_scheduler.proto']));

    // 2. An empty app that depends on the tarball, with a lockfile of the repository's pins.
    const manifest = JSON.parse(readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string> };
    const closure = closureFromRepositoryLock(Object.keys(manifest.dependencies));
    const app = path.join(work, 'app');
    mkdirSync(app);
    const spec = `file:../${tarball!.filename}`;
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'sdk-consumer', private: true, type: 'module', dependencies: { [manifest.name]: spec } }, null, 2));
    const packages: Record<string, LockEntry> = {
      '': { name: 'sdk-consumer', dependencies: { [manifest.name]: spec } },
      [`node_modules/${manifest.name}`]: { version: manifest.version, resolved: spec, integrity: tarball!.integrity, dependencies: manifest.dependencies },
    };
    for (const [name, entry] of closure) {
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...kept } = entry;
      packages[`node_modules/${name}`] = kept;
    }
    writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify({ name: 'sdk-consumer', lockfileVersion: 3, requires: true, packages }, null, 2));

    // 3. Install from the cache only; from the registry only if the cache lacks something.
    let mode = 'npm ci --offline (cache only)';
    try {
      await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env: plainEnv(), timeout: STEP_TIMEOUT_MS });
    } catch (error) {
      if (!String((error as { stderr?: string }).stderr ?? error).includes('ENOTCACHED')) throw error;
      mode = 'npm install from the registry (the cache lacked a package)';
      rmSync(path.join(app, 'package-lock.json'));
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env: plainEnv(), timeout: STEP_TIMEOUT_MS });
    }

    // 4. What arrived: the SDK, the two gRPC packages and their own dependencies; nothing compiled.
    const installed = JSON.parse(readFileSync(path.join(app, 'node_modules/.package-lock.json'), 'utf8')) as Lock;
    const names = Object.keys(installed.packages).map((location) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(names).toEqual(expect.arrayContaining([manifest.name, '@grpc/grpc-js', '@grpc/proto-loader']));
    expect(names.filter((name) => name !== manifest.name && !closure.has(name))).toEqual([]);
    const serverManifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const serverOnly = Object.keys(serverManifest.dependencies).filter((name) => !(name in manifest.dependencies) && name !== manifest.name);
    expect(serverOnly).toEqual(expect.arrayContaining(['better-sqlite3', 'fastify']));
    expect(names.filter((name) => serverOnly.includes(name))).toEqual([]);
    const files = filesUnder(path.join(app, 'node_modules'));
    expect(files.filter((file) => file.endsWith('.node') || file.includes(`${path.sep}build${path.sep}Release${path.sep}`))).toEqual([]);
    const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
    console.info(
      `packed SDK: ${tarball!.filename} ${(tarball!.size / 1024).toFixed(1)} kB (${(tarball!.unpackedSize / 1024).toFixed(1)} kB unpacked, ${shipped.length} files); ` +
        `installed with ${mode}: ${names.length} packages, ${(bytes / 1024 / 1024).toFixed(1)} MB`,
    );

    // 5. Plain Node imports it and receives one job from a real Duetime.
    writeFileSync(path.join(app, 'consumer.mjs'), CONSUMER);
    const consumer = await run(process.execPath, ['consumer.mjs', server.httpUrl, `127.0.0.1:${server.schedulerPort}`], { cwd: app, env: plainEnv(), timeout: 30_000 });
    expect(JSON.parse(consumer.stdout.trim())).toEqual({ name: 'packed-job', data: { from: 'the packed SDK' } });
  });
});
