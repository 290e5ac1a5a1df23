// `duetime serve` with a bad setting, run as a real child process: it exits 1 at once with one
// message naming the flag and its env twin and the fix, never a library's raw words (Node's
// "options.port should be >= 0", pino's "custom levels", getaddrinfo codes alone) or a stack.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_CLI, builtCliEnv } from '../../../src/testing/built-cli.js';
import { afterAll, describe, expect, it } from 'vitest';

const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-start-'));
  dirs.push(dir);
  return dir;
}

/** Runs `duetime serve` on free ports with these extra arguments; it must exit within 30 s. */
function serve(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = ['--port', '0', '--grpc-port', '0', '--scheduler-port', '0', '--data-dir', tempDir()];
  return new Promise((resolve) => {
    execFile(process.execPath, [BUILT_CLI, 'serve', ...base, ...args], { env: builtCliEnv(env), timeout: 30_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

function expectCleanMessage(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(stderr).not.toMatch(/options\.port should be|custom levels|ERR_SOCKET_BAD_PORT|No address added/);
}

describe('duetime serve refuses a bad setting with a message naming it', () => {
  const ports = [
    { flag: '--port', env: 'DUETIME_PORT' },
    { flag: '--grpc-port', env: 'DUETIME_GRPC_PORT' },
    { flag: '--scheduler-port', env: 'DUETIME_SCHEDULER_PORT' },
  ];
  for (const { flag, env } of ports) {
    it(`${flag} 99999 is not a port`, async () => {
      const run = await serve([flag, '99999']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${flag} / ${env}`);
      expect(run.stderr).toMatch(/99999 is not a port.*0 to 65535/);
      expectCleanMessage(run.stderr);
    }, 40_000);
  }

  it('--log-level loud names the levels', async () => {
    const run = await serve(['--log-level', 'loud']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--log-level / DUETIME_LOG_LEVEL');
    expect(run.stderr).toMatch(/"loud".*fatal, error, warn, info, debug, trace/);
    expectCleanMessage(run.stderr);
  }, 40_000);

  it('the env twin is named when the value came from it', async () => {
    const run = await serve([], { DUETIME_LOG_LEVEL: 'LOUD' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--log-level / DUETIME_LOG_LEVEL');
  }, 40_000);

  it('--app-url must be an http(s) URL, as PUT /v1.0/apps says', async () => {
    for (const url of ['127.0.0.1:8080', 'ftp://127.0.0.1/x', `http://127.0.0.1/${'x'.repeat(2100)}`]) {
      const run = await serve(['--app-url', url]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('--app-url / DUETIME_APP_URL');
      expect(run.stderr).toMatch(/url must be (an http\(s\) URL|at most 2048 characters)/);
      expect(run.stdout).not.toContain('duetime is serving');
      expectCleanMessage(run.stderr);
    }
  }, 120_000);

  it('a config file app is checked by the same rules, naming the file and the entry', async () => {
    const file = join(tempDir(), 'duetime.yaml');
    writeFileSync(file, 'apps:\n  - appId: orders\n    url: http://127.0.0.1:8080\n  - appId: billing\n    url: http://127.0.0.1:8081\n    actorTypes: [""]\n');
    const run = await serve(['--config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}: apps[1].actorTypes`);
    expect(run.stderr).toMatch(/names of 1 to 512 characters/);
    expectCleanMessage(run.stderr);
    writeFileSync(file, 'apps:\n  - appId: "a/b"\n    url: http://127.0.0.1:8080\n');
    const badId = await serve(['--config', file]);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toContain(`${file}: apps[0].appId`);
  }, 80_000);

  it('one token for two apps, or bound in the config file and unbound as --api-token, is refused, naming the file and the entries but not the token', async () => {
    const file = join(tempDir(), 'duetime.yaml');
    writeFileSync(file, 'tokens:\n  - token: secret-shared\n    appId: orders\n  - token: secret-shared\n    appId: billing\n');
    const run = await serve(['--config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}: tokens[1].token is the same token as tokens[0] (bound to app "orders"); give each app its own token`);
    expect(run.stdout + run.stderr).not.toContain('secret-shared');
    expect(run.stdout).not.toContain('duetime is serving');
    expectCleanMessage(run.stderr);
    // One token bound in the file and unbound as --api-token: the same refusal.
    writeFileSync(file, 'tokens:\n  - token: secret-shared\n    appId: orders\n');
    const both = await serve(['--config', file], { DUETIME_API_TOKEN: 'secret-shared' });
    expect(both.code).toBe(1);
    expect(both.stderr).toContain(`${file}: tokens[0].token is the same token as --api-token / DUETIME_API_TOKEN, which is not bound to an app`);
    expect(both.stdout + both.stderr).not.toContain('secret-shared');
  }, 80_000);

  it('an app token that is also an API token is refused, naming the entries and flags but not the token', async () => {
    const file = join(tempDir(), 'duetime.yaml');
    writeFileSync(file, 'apps:\n  - appId: orders\n    url: http://127.0.0.1:8080\n    token: secret-shared\ntokens:\n  - token: secret-shared\n    appId: orders\n');
    const inFile = await serve(['--config', file]);
    expect(inFile.code).toBe(1);
    expect(inFile.stderr).toContain(`${file}: apps[0].token (app "orders") is the same token as tokens[0], an API token;`);
    expect(inFile.stderr).toContain('give the app a token that is not an API token');
    expect(inFile.stdout + inFile.stderr).not.toContain('secret-shared');
    expect(inFile.stdout).not.toContain('duetime is serving');
    expectCleanMessage(inFile.stderr);
    // The flags: the token Duetime sends to apps is the one it accepts.
    const flags = await serve([], { DUETIME_API_TOKEN: 'secret-shared', DUETIME_APP_API_TOKEN: 'secret-shared' });
    expect(flags.code).toBe(1);
    expect(flags.stderr).toContain('--app-api-token / DUETIME_APP_API_TOKEN is the same token as --api-token / DUETIME_API_TOKEN, an API token;');
    expect(flags.stdout + flags.stderr).not.toContain('secret-shared');
    expect(flags.stdout).not.toContain('duetime is serving');
  }, 80_000);

  it('a host that cannot be resolved or bound names --host, not the port', async () => {
    const run = await serve(['--host', 'no-such-host.invalid']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--host / DUETIME_HOST');
    expect(run.stderr).toContain('no-such-host.invalid');
    expect(run.stderr).not.toContain('free that port');
    expectCleanMessage(run.stderr);
  }, 40_000);
});
