// The `duetime` command as a newcomer meets it, run as a real child process against a real node
// (and against servers that are not Duetime): --version, errors that name the URL and the cause,
// no colour in pipes or with NO_COLOR, the connection options in every subcommand's help,
// import's hint, honest words for a missing job, and `duetime apps`.
//
// Each run costs a Node start-up (the build, src/testing/built-cli.ts), so a job a test only
// needs to exist is made over the HTTP API; every command a test is about runs as the CLI.
// Runs go one at a time: on two busy cores, parallel runs only take longer each, up to the kill.

import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_CLI, builtCliEnv } from '../../../src/testing/built-cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/testing/servers/free-port.js';
import { startNode, type Node } from '../support.js';

const VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
let node: Node;
const others: Server[] = [];

beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node.close();
  for (const server of others) await new Promise((resolve) => server.close(resolve));
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUILT_CLI, ...args], { env: builtCliEnv(env), timeout: 30_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

const jobs = (...args: string[]) => run(['jobs', '--url', node.duetime.httpUrl, '--app-id', 'first-day', ...args]);

/** A web server that is not Duetime: answers every request with this status and an HTML page. */
async function notDuetime(status: number): Promise<string> {
  const server = createServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'text/html' });
    response.end('<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>');
  });
  others.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('duetime CLI on the first day', () => {
  it('--version prints the package version', async () => {
    const result = await run(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(VERSION);
  }, 40_000);

  it('a connection error names the URL and the cause', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await run(['jobs', '--url', url, 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach Duetime at ${url}`);
    expect(result.stderr).toContain('ECONNREFUSED');
    expect(result.stderr).toMatch(/--url|DUETIME_URL/);
    const unknown = await run(['apps', '--url', 'http://no-such-host.invalid:3500', 'list']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('cannot reach Duetime at http://no-such-host.invalid:3500');
    expect(unknown.stderr).toContain('ENOTFOUND');
  }, 60_000);

  it('a URL that answers but is not Duetime says so', async () => {
    for (const status of [200, 404]) {
      const url = await notDuetime(status);
      for (const args of [['jobs', '--url', url, 'list'], ['cluster', 'status', '--url', url], ['apps', '--url', url, 'list']]) {
        const result = await run(args);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`${url} does not look like a Duetime HTTP API`);
        expect(result.stderr).not.toMatch(/Unexpected token|<html/);
      }
    }
  }, 120_000);

  it('prints no colour when stdout is not a terminal, nor with NO_COLOR on a terminal', async () => {
    expect((await node.call('POST', '/v1.0/jobs/plain', { dueTime: '1h' }, { 'dapr-app-id': 'first-day' })).status).toBe(204);
    const piped = await jobs('list');
    expect(piped.stdout).toContain('plain');
    expect(piped.stdout).not.toContain('\u001b[');
    if (!hasScript()) return; // util-linux's script gives the command a terminal
    const command = [process.execPath, BUILT_CLI, 'jobs', '--url', node.duetime.httpUrl, '--app-id', 'first-day', 'list'].join(' ');
    // Asynchronously: the node under test runs in this process and must keep answering.
    const onTerminal = (env: NodeJS.ProcessEnv) =>
      new Promise<string>((resolve, reject) => {
        const child = execFile('script', ['-qec', command, '/dev/null'], { env, timeout: 30_000, killSignal: 'SIGKILL' }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
        child.stdin?.end();
      });
    const { NO_COLOR: _unset, ...withoutNoColor } = process.env;
    expect(await onTerminal(builtCliEnv({}, withoutNoColor))).toContain('plain');
    const noColour = await onTerminal(builtCliEnv({ NO_COLOR: '1' }));
    expect(noColour).toContain('plain');
    expect(noColour).not.toContain('\u001b[');
  }, 60_000);

  it('every subcommand\'s help shows the connection options', async () => {
    for (const args of [['jobs', 'list', '--help'], ['jobs', 'schedule', '--help'], ['apps', 'set', '--help'], ['cluster', 'status', '--help']]) {
      const help = (await run(args)).stdout;
      for (const option of ['--url', '--api-token', '--json']) expect(help, args.join(' ')).toContain(option);
    }
    expect((await run(['jobs', 'get', '--help'])).stdout).toContain('--app-id');
  }, 60_000);

  it('import names --overwrite when names are taken', async () => {
    const file = join(node.dataDir, 'first-day.jsonl');
    expect((await jobs('export', '--prefix', 'plain', '--out', file)).code).toBe(0);
    const again = await jobs('import', file);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/1 job already exists.*--overwrite/);
  }, 60_000);

  it('deleting a job that does not exist does not claim it existed', async () => {
    const missing = await jobs('delete', 'never-made');
    expect(missing.code).toBe(0);
    expect(missing.stdout).toContain('no job named never-made (nothing deleted)');
    expect(missing.stdout).not.toContain('deleted never-made');
    expect((await jobs('delete', 'plain')).stdout).toContain('deleted plain');
  }, 60_000);

  it('duetime apps sets, lists and removes app registrations', async () => {
    const api = ['--url', node.duetime.httpUrl];
    const set = await run(['apps', ...api, 'set', 'orders', '--app-url', 'http://127.0.0.1:9090', '--actor-type', 'Cart', '--actor-type', 'Basket']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('registered orders');
    const listed = JSON.parse((await run(['apps', ...api, 'list', '--json'])).stdout) as { apps: Array<{ appId: string; url: string; actorTypes: string[] }> };
    expect(listed.apps).toContainEqual({ appId: 'orders', url: 'http://127.0.0.1:9090', actorTypes: ['Cart', 'Basket'] });
    const table = (await run(['apps', ...api, 'list'])).stdout;
    expect(table).toMatch(/orders.*http:\/\/127\.0\.0\.1:9090.*Cart, Basket/);
    const bad = await run(['apps', ...api, 'set', 'broken', '--app-url', 'ftp://x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('url must be an http(s) URL');
    expect((await run(['apps', ...api, 'remove', 'orders'])).stdout).toContain('removed orders');
    const after = JSON.parse((await run(['apps', ...api, 'list', '--json'])).stdout) as { apps: Array<{ appId: string }> };
    expect(after.apps.map((a) => a.appId)).not.toContain('orders');
  }, 90_000);
});
