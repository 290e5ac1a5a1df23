// A one-shot overwritten the moment its app has it (the outcome's commit racing the schedule on
// the SQLite writer thread) must fire again as the new job. Before the engine checked which job a
// finished commit was for, the new job stayed in the store, active and overdue, with nothing in
// memory to fire it, until a whole refill (once a minute) found it: the SDK's job-handler test
// failed in CI that way, and a loop of this test failed on its first round.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

let node: Node;
let app: Server;
const seen: string[] = [];

beforeAll(async () => {
  node = await startNode();
  app = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push(body); // before the answer: the test's next schedule races this delivery's commit
      res.end();
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  await node.call('PUT', '/v1.0/apps/racer', { url: `http://127.0.0.1:${(app.address() as AddressInfo).port}` });
});
afterAll(async () => {
  await new Promise((resolve) => app?.close(resolve));
  await node?.close();
});

describe('a job overwritten as its delivery is answered', () => {
  it('fires as the new job every time (40 rounds)', async () => {
    for (let round = 0; round < 40; round++) {
      const put = await node.call('POST', '/v1.0-alpha1/jobs/greet', { dueTime: '0s', data: `round-${round}`, overwrite: true }, { 'dapr-app-id': 'racer' });
      expect(put.status, put.text).toBe(204);
      // The schedule of the next round goes out as soon as the app has this one, not after its answer.
      await expect.poll(() => seen.filter((body) => body.includes(`"round-${round}"`)).length, { timeout: 10_000, interval: 1 }).toBe(1);
    }
  }, 60_000);
});
