// The `duetime jobs` commands, run as a real child process against a real node. Each run costs a
// Node start-up (the build, src/testing/built-cli.ts), so a job a test only needs to
// exist is made, and a state it waits for is polled, over the HTTP API; every command a test is
// about still runs as the CLI. Runs go one at a time: on two busy cores parallel runs only take
// longer each.

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BUILT_CLI, builtCliEnv } from '../../../src/testing/built-cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from '../support.js';

let node: Node;

beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node.close();
});

async function duetime(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BUILT_CLI, 'jobs', '--url', node.duetime.httpUrl, '--app-id', 'cli-app', ...args], { env: builtCliEnv() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('duetime jobs', () => {
  it('schedules, lists, gets, pauses, resumes and deletes', async () => {
    expect((await duetime('schedule', 'report', '--schedule', '@every 1h', '--repeats', '5', '--data', '{"kind":"daily"}')).code).toBe(0);
    const listed = JSON.parse((await duetime('--json', 'list')).stdout) as Array<{ name: string; data: unknown }>;
    expect(listed.map((j) => j.name)).toEqual(['report']);
    expect(listed[0]!.data).toEqual({ kind: 'daily' });
    const table = (await duetime('list')).stdout;
    expect(table).toContain('report');
    expect(table).toContain('@every 1h');
    expect(JSON.parse((await duetime('--json', 'pause', 'report')).stdout).status.state).toBe('paused');
    expect((await duetime('resume', 'report')).stdout).toContain('active');
    const got = JSON.parse((await duetime('--json', 'get', 'report')).stdout);
    expect(got).toMatchObject({ name: 'report', repeats: 5, status: { state: 'active' } });
    expect((await duetime('delete', 'report')).code).toBe(0);
    expect(JSON.parse((await duetime('--json', 'list')).stdout)).toEqual([]);
  });

  it('lists a trigger of an app with no endpoint as staged, with a count per state', async () => {
    expect((await node.call('POST', '/v1.0/jobs/waiting', { dueTime: '0s' }, { 'dapr-app-id': 'cli-app' })).status).toBe(204);
    expect((await node.call('POST', '/v1.0/jobs/later', { dueTime: '1h' }, { 'dapr-app-id': 'cli-app' })).status).toBe(204);
    // cli-app has no endpoint: its due trigger is staged in the store until one appears.
    await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/waiting', undefined, { 'dapr-app-id': 'cli-app' })).body?.status?.state, { timeout: 10_000, interval: 100 }).toBe('staged');
    const table = (await duetime('list')).stdout;
    expect(table).toMatch(/waiting.*staged/);
    expect(table).toContain('2 jobs: 1 active, 1 staged');
    expect((await duetime('delete', '--prefix', '')).stdout).toContain('deleted 2 jobs');
  });

  it('exports and imports: the jobs come back with their next trigger', async () => {
    for (const n of ['a', 'b', 'c']) {
      const made = await node.call('POST', `/v1.0/jobs/move-${n}`, { dueTime: '2030-01-01T00:00:00Z', data: n }, { 'dapr-app-id': 'cli-app' });
      expect(made.status).toBe(204);
    }
    const file = join(node.dataDir, 'export.jsonl');
    const exported = await duetime('export', '--prefix', 'move-', '--out', file);
    expect(exported.stderr).toContain('exported 3 jobs');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.name)).toEqual(['move-a', 'move-b', 'move-c']);
    expect(lines[0].dueTime).toBe('2030-01-01T00:00:00.000Z');
    expect((await duetime('delete', '--prefix', 'move-')).stdout).toContain('deleted 3 jobs');
    const imported = await duetime('import', file);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toContain('imported 3 of 3 jobs');
    const again = await duetime('import', file);
    expect(again.code).toBe(1); // names taken, no --overwrite
    expect(again.stderr).toContain('failed move-a');
    expect((await duetime('import', file, '--overwrite')).code).toBe(0);
    const back = JSON.parse((await duetime('--json', 'get', 'move-b')).stdout);
    expect(back.data).toBe('b');
    expect(back.status.nextTrigger).toBe('2030-01-01T00:00:00.000Z');
  });

  it('refuses an API token a header cannot carry, naming the flag and never the token', async () => {
    for (const group of ['jobs', 'apps']) {
      const run = await promisify(execFile)(process.execPath, [BUILT_CLI, group, '--url', node.duetime.httpUrl, 'list'], {
        env: { ...builtCliEnv(), DUETIME_API_TOKEN: 's3cret-token-value\n' },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(run.code, group).not.toBe(0);
      expect(run.stderr, group).toContain('--api-token');
      expect(run.stderr, group).not.toContain('s3cret');
    }
  });

  it('reports bad input with the server\'s message and a non-zero exit', async () => {
    const bad = await duetime('schedule', 'broken', '--schedule', '*/5 * * * *');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/seconds first/);
    const file = join(node.dataDir, 'bad.jsonl');
    writeFileSync(file, '{"name":"ok","dueTime":"1h"}\nnot json\n');
    const imported = await duetime('import', file);
    expect(imported.code).not.toBe(0);
    expect(imported.stderr).toContain('line 2');
  });
});
