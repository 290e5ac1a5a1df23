// Stopping a real server: SIGTERM sent to `npm start` reaches the server (it stops cleanly and
// frees its data directory, not left running as an orphan), and a server whose stdout is a closed
// pipe (its log reader gone) still stops on SIGTERM with exit code 0 instead of spinning on EPIPE.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir, PID_FILE } from '../../../src/adapters/store-sqlite/data-dir-lock.js';
import { spawnDuetime } from '../../../src/testing/duetime-process.js';
import { freePort } from '../../../src/testing/servers/free-port.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dirs: string[] = [];
const leftovers: number[] = [];

afterAll(() => {
  // A server the fix failed to stop is ours to end: by its pid, never by name.
  for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-signals-'));
  dirs.push(dir);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The data directory can be locked again: its server has let it go. */
function lockIsFree(dir: string): boolean {
  try {
    lockDataDir(dir).release();
    return true;
  } catch {
    return false;
  }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('signals', () => {
  it('SIGTERM to `npm start` stops the server it runs and frees the data directory', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    // As a user runs it: the built server (dist/, made by npm ci), without the tests' source condition.
    const { NODE_OPTIONS: _sourceCondition, ...env } = process.env;
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...env, DUETIME_PORT: String(port), DUETIME_GRPC_PORT: '0', DUETIME_SCHEDULER_PORT: '0', DUETIME_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toContain('duetime is serving');
      const serverPid = Number(JSON.parse(readFileSync(join(dataDir, PID_FILE), 'utf8')).pid);
      leftovers.push(serverPid);
      expect(serverPid).not.toBe(npm.pid);
      npm.kill('SIGTERM');
      await exitOf(npm);
      await expect.poll(() => alive(serverPid), { timeout: 20_000, interval: 100 }).toBe(false);
      expect(output).toContain('duetime stopped');
      expect(lockIsFree(dataDir)).toBe(true);
    } finally {
      npm.kill('SIGKILL');
    }
  }, 60_000);

  it('a server whose stdout reader has gone still stops on SIGTERM, with exit code 0', async () => {
    const dataDir = tempDir();
    const server = await spawnDuetime(['--data-dir', dataDir]);
    const pid = server.child.pid!;
    leftovers.push(pid);
    let stderr = '';
    server.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The log reader goes away: every later log line meets EPIPE.
    server.child.stdout!.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A request logs a line into the closed pipe before the signal does.
    await fetch(`${server.url}/v1.0/healthz`).catch(() => undefined);
    const exited = exitOf(server.child);
    server.child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000))]);
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(lockIsFree(dataDir)).toBe(true);
  }, 60_000);
});
