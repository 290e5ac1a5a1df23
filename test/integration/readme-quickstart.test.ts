// The README's quick-start curl commands, run as written against a real node (only the port
// differs), so the README cannot drift from what the server does.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

let node: Node;
beforeAll(async () => {
  node = await startNode({ appId: 'default' });
});
afterAll(async () => {
  await node.close();
});

/** Each `curl ...` command of the README's sh blocks, continuation lines joined. */
function readmeCurls(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const commands: string[] = [];
  for (const block of blocks) {
    const joined = block.replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command.startsWith('curl ')) commands.push(command);
    }
  }
  return commands;
}

describe('README quick start', () => {
  it('every curl command works and the jobs reach the app', async () => {
    const commands = readmeCurls();
    expect(commands.length).toBeGreaterThanOrEqual(4);
    const port = new URL(node.duetime.httpUrl).port;
    for (const command of commands) {
      const local = command.replace(/localhost:3500/g, `127.0.0.1:${port}`);
      // Async: the server runs in this process and must keep answering while curl waits.
      const { stdout: status } = await promisify(execFile)('sh', ['-c', `${local} -s -o /dev/null -w '%{http_code}'`], { encoding: 'utf8' });
      expect([200, 204], `${command} answered ${status}`).toContain(Number(status));
    }
    await node.receiver.waitFor(() => node.receiver.forJob('prod-db-backup').length === 1 && node.receiver.forJob('jobforjabba').length >= 1, 15_000);
    expect(JSON.parse(node.receiver.forJob('prod-db-backup')[0]!.body)).toEqual({ task: 'db-backup', metadata: { db: 'prod' } });
    expect(node.receiver.forJob('jobforjabba')[0]!.body).toBe('"Running spice"');
    expect(node.receiver.earlyDeliveries()).toEqual([]);
  });
});
