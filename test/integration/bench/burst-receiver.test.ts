// The bench's receiving app (bench/burst-receiver.js) as the bench runs it: its own process on a
// loopback port. The cluster bench tells replicas apart by the path segment before /job/, so a
// receiver that dropped or misread it would credit deliveries to the wrong replica (or none).

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../bench/burst-receiver.js', import.meta.url));

let child: ChildProcess;
let url = '';

beforeAll(async () => {
  child = spawn(process.execPath, [SCRIPT, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  url = `http://127.0.0.1:${/listening (\d+)/.exec(line.toString())![1]}`;
});

afterAll(async () => {
  child.kill('SIGTERM');
  await once(child, 'exit');
});

describe('bench/burst-receiver.js', () => {
  it('records /job/{name} and /{via}/job/{name} with their prefix, and refuses other paths', async () => {
    const post = (path: string, headers: Record<string, string> = {}): Promise<number> => fetch(`${url}${path}`, { method: 'POST', headers, body: '{}' }).then((r) => r.status);
    expect(await post('/job/plain', { 'duetime-scheduled-time': '2026-12-06T00:00:00.000Z', 'duetime-attempt': '1' })).toBe(200);
    expect(await post('/replica-2/job/burst%2D7', { 'duetime-attempt': '2' })).toBe(200);
    expect(await post('/a/b/job/deep')).toBe(404);
    expect(await post('//job/empty')).toBe(404);
    const stats = (await (await fetch(`${url}/stats`)).json()) as Record<string, unknown[]>;
    expect(stats.names).toEqual(['plain', 'burst-7']);
    expect(stats.via).toEqual(['', 'replica-2']);
    expect(stats.scheduledAt).toEqual([Date.parse('2026-12-06T00:00:00.000Z'), null]);
    expect(stats.attempts).toEqual([1, 2]);
  });
});
