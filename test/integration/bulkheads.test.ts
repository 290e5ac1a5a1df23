// One slow app must not hold another's delivery slots. Before per-app lanes, the 1,000 in-flight
// slots were shared by every app: an app answering after 60 s (or trickling its answer) with
// thousands of due jobs took all of them, and another app's on-time jobs waited behind it.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type Node } from './support.js';

const BACKLOG = 1_500; // per bad app: more than the whole in-flight pool
const ON_TIME = 200;

/** A real app that never finishes an answer within the test: it waits, or it trickles. */
async function badApp(kind: 'silent' | 'trickle'): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    if (kind === 'silent') {
      const t = setTimeout(() => res.end(), 60_000); // answers after 60 s
      timers.add(t);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    const t = setInterval(() => res.write('.'), 500); // headers at once, then a byte every 500 ms
    timers.add(t);
    res.on('close', () => clearInterval(t));
  });
  server.on('close', () => timers.forEach((t) => clearTimeout(t)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

async function scheduleMany(baseUrl: string, appId: string, count: number, body: (i: number) => unknown): Promise<void> {
  const pool = new Pool(baseUrl, { connections: 32 });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const response = await pool.request({
        path: `/v1.0/jobs/${appId}-${i}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'dapr-app-id': appId },
        body: JSON.stringify(body(i)),
      });
      const text = await response.body.text();
      if (response.statusCode !== 204) throw new Error(`schedule ${appId}-${i}: ${response.statusCode} ${text}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: 32 }, worker));
  } finally {
    await pool.close();
  }
}

describe('bulkheads: a slow app uses only its own share', () => {
  let node: Node;
  let silent: Awaited<ReturnType<typeof badApp>>;
  let trickle: Awaited<ReturnType<typeof badApp>>;

  beforeAll(async () => {
    node = await startNode({ appId: 'live' });
    silent = await badApp('silent');
    trickle = await badApp('trickle');
    for (const [appId, app] of [['silent', silent], ['trickle', trickle]] as const) {
      expect((await node.call('PUT', `/v1.0/apps/${appId}`, { url: app.url })).status).toBe(204);
    }
  });
  afterAll(async () => {
    // The bad apps go first: their open answers then fail at once instead of holding the stop.
    for (const app of [silent, trickle]) {
      app?.server.closeAllConnections();
      await new Promise<void>((resolve) => (app ? app.server.close(() => resolve()) : resolve()));
    }
    await node?.close();
  });

  it(`with ${BACKLOG} due jobs each at an app answering after 60 s and at a trickling app, another app's ${ON_TIME} jobs all arrive on time`, async () => {
    const base = node.duetime.httpUrl;
    await scheduleMany(base, 'silent', BACKLOG, () => ({ dueTime: '0s' }));
    await scheduleMany(base, 'trickle', BACKLOG, () => ({ dueTime: '0s' }));
    // Both bad apps are now holding every slot they can get (their requests on the wire are also
    // bounded by --connections-per-endpoint, 64 by default; the rest of their share waits for one).
    await expect.poll(() => silent.requests() >= 60 && trickle.requests() >= 60, { timeout: 20_000 }).toBe(true);

    const start = Date.now() + 2_000;
    await scheduleMany(base, 'live', ON_TIME, (i) => ({ dueTime: new Date(start + i * 10).toISOString() }));
    await node.receiver.waitFor(() => node.receiver.received.length >= ON_TIME, 30_000, 'the live app jobs');
    const lateness = node.receiver.received.map((r) => r.receivedAt - r.scheduledAt!);
    expect(node.receiver.earlyDeliveries()).toEqual([]);
    // On time: a loaded 2-core machine gets generous slack, far below the 60 s the slow app holds a slot.
    expect(Math.max(...lateness)).toBeLessThan(2_000);
    // The bad apps got their own share of slots and no more.
    expect(silent.requests()).toBeLessThanOrEqual(250);
    expect(trickle.requests()).toBeLessThanOrEqual(250);
  }, 120_000);
});
