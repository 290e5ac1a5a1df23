// Server timeouts and connection caps (issue 10, row 3): a client that opens connections and
// never finishes its request holds them only until a deadline, and one address holds at most
// --max-connections-per-client of them, so it cannot take every file descriptor. Meanwhile the
// API answers a normal client. The normal client connects from 127.0.0.2 (Linux routes all of
// 127/8 to loopback), a different client address than the flood's 127.0.0.1.

import { connect, type Socket } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daprSchedulerClient, unary } from './grpc/helpers.js';
import { startNode, type Node } from './support.js';

const FLOOD = 2_000;
const CAP = 100;
const REQUEST_TIMEOUT_MS = 2_000;
const HEADERS_TIMEOUT_MS = 1_000;

let node: Node;
const other = new Agent({ localAddress: '127.0.0.2' });

beforeAll(async () => {
  node = await startNode({
    requestTimeout: '2s',
    headersTimeout: '1s',
    connectionsCheckingInterval: '200ms',
    maxConnectionsPerClient: CAP,
  });
});
afterAll(async () => {
  await other.close();
  await node?.close();
});

interface Opened {
  socket: Socket;
  closed: Promise<number>;
}

/** Opens a connection from 127.0.0.1, writes `prefix` and then nothing; `closed` resolves with when the server closed it. */
function openStalled(port: number, prefix: string): Promise<Opened> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.on('error', () => undefined);
    // Read (and drop) what the server sends, e.g. a 408, so its closing is seen.
    socket.resume();
    socket.once('connect', () => {
      if (prefix) socket.write(prefix);
      resolve({ socket, closed });
    });
    // A connection refused or reset before it connected counts as closed too.
    socket.once('close', () => resolve({ socket, closed }));
  });
}

async function openMany(port: number, count: number, prefix: string): Promise<Opened[]> {
  const opened: Opened[] = [];
  for (let i = 0; i < count; i += 200) {
    opened.push(...(await Promise.all(Array.from({ length: Math.min(200, count - i) }, () => openStalled(port, prefix)))));
  }
  return opened;
}

/** Waits (bounded) until the HTTP server holds no connection, so the next test starts clean. */
async function serverDrained(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const n = await new Promise<number>((resolve, reject) => node.duetime.http.server.getConnections((e, count) => (e ? reject(e) : resolve(count))));
    if (n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(resolve, ms, 'timeout'))]);
}

describe('HTTP: idle half-sent POSTs from one address', () => {
  it(`${FLOOD} of them are capped per address and cut off at --request-timeout, while another client is served`, async () => {
    const port = Number(new URL(node.duetime.httpUrl).port);
    const half = 'POST /v1.0/jobs/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"dueTime":';
    const started = Date.now();
    const flood = await openMany(port, FLOOD, half);
    try {
      // The server holds at most CAP of them (a few more may be in the accept queue for a moment).
      const connections = await new Promise<number>((resolve, reject) => node.duetime.http.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
      expect(connections).toBeLessThanOrEqual(CAP + 10);

      // A normal client from another address is answered meanwhile.
      const answer = await request(`${node.duetime.httpUrl}/v1.0/jobs/normal`, {
        method: 'POST',
        dispatcher: other,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dueTime: '1h' }),
      });
      await answer.body.dump();
      expect(answer.statusCode).toBe(204);

      // Every stalled connection is closed by the deadline (generous slack for a loaded machine).
      const all = await settleWithin(Promise.all(flood.map((f) => f.closed)), REQUEST_TIMEOUT_MS + 8_000);
      expect(all).not.toBe('timeout');
      const last = Math.max(...(all as number[]));
      expect(last - started).toBeLessThan(REQUEST_TIMEOUT_MS + 8_000);
    } finally {
      for (const f of flood) f.socket.destroy();
    }
    await serverDrained();

    // Nothing was created by the half-sent requests, and the flood's own address is served again.
    expect((await node.call('GET', '/v1.0/jobs/slow')).status).toBe(404);
    expect((await node.call('GET', '/v1.0/jobs/normal')).status).toBe(200);
  });

  it('a connection that sends nothing is closed at --headers-timeout', async () => {
    const port = Number(new URL(node.duetime.httpUrl).port);
    const started = Date.now();
    const [silent] = await openMany(port, 1, '');
    const closedAt = await settleWithin(silent!.closed, HEADERS_TIMEOUT_MS + 6_000);
    silent!.socket.destroy();
    expect(closedAt).not.toBe('timeout');
    expect((closedAt as number) - started).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
  });
});

describe('gRPC: idle connections from one address', () => {
  it('silent connections are capped per address and closed at --headers-timeout; a real client is served after', async () => {
    const port = node.duetime.schedulerPort;
    const started = Date.now();
    const flood = await openMany(port, 300, '');
    try {
      // Over the cap: closed at once.
      const early = await Promise.all(flood.map((f) => settleWithin(f.closed, 500)));
      expect(early.filter((t) => t !== 'timeout').length).toBeGreaterThanOrEqual(300 - CAP - 10);
      // The rest: by the deadline.
      const all = await settleWithin(Promise.all(flood.map((f) => f.closed)), HEADERS_TIMEOUT_MS + 8_000);
      expect(all).not.toBe('timeout');
      expect(Math.max(...(all as number[])) - started).toBeLessThan(HEADERS_TIMEOUT_MS + 8_000);
    } finally {
      for (const f of flood) f.socket.destroy();
    }
    const client = daprSchedulerClient(port);
    try {
      const answer = await unary<{ jobs?: Array<{ name: string }> }>(client, 'ListJobs', { metadata: { appId: 'app', namespace: 'default' } });
      expect((answer.jobs ?? []).map((j) => j.name)).toEqual(['normal']);
    } finally {
      client.close();
    }
  });
});
