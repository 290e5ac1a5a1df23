// Real apps that hold a delivery open, for the deadline tests: a trickling app (headers at once,
// then one body byte every interval) and a silent one (accepts the TCP connection, never answers).
// Both record when each request or connection arrived and when the client gave it up.

import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface HeldExchange {
  /** Date.now() when the request (trickle) or the connection (silent) arrived. */
  arrivedAt: number;
  /** Date.now() when the client closed it (undefined while open). */
  closedAt?: number;
  path?: string;
  headers?: IncomingMessage['headers'];
}

export interface SlowApp {
  url: string;
  readonly exchanges: HeldExchange[];
  stop(): Promise<void>;
}

export interface TrickleOptions {
  /** Between body bytes, ms (default 500). */
  intervalMs?: number;
  /** How long the app goes on trickling before it ends the response, ms (default 60 s). */
  forMs?: number;
  /** Paths answered at once with 404 instead (e.g. /dapr/config, so actor lookups are quick). */
  quickPaths?: string[];
}

/** A node:http app that sends 200 headers at once, then one byte every intervalMs for forMs. */
export async function startTricklingApp(options: TrickleOptions = {}): Promise<SlowApp> {
  const intervalMs = options.intervalMs ?? 500;
  const forMs = options.forMs ?? 60_000;
  const exchanges: HeldExchange[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const quick = new Set(options.quickPaths ?? []);
  const server = createHttpServer((req, res) => {
    if (quick.has(req.url ?? '')) {
      req.resume();
      res.writeHead(404).end();
      return;
    }
    const exchange: HeldExchange = { arrivedAt: Date.now(), path: req.url ?? '', headers: req.headers };
    exchanges.push(exchange);
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    const until = Date.now() + forMs;
    const timer = setInterval(() => {
      if (Date.now() >= until) {
        clearInterval(timer);
        timers.delete(timer);
        res.end('.');
        return;
      }
      res.write('.');
    }, intervalMs);
    timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
      exchange.closedAt ??= Date.now();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    async stop() {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP server that accepts every connection and never writes a byte: no headers, ever. */
export async function startSilentApp(): Promise<SlowApp> {
  const exchanges: HeldExchange[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    const exchange: HeldExchange = { arrivedAt: Date.now() };
    exchanges.push(exchange);
    sockets.add(socket);
    socket.resume(); // read and drop whatever the client sends
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      exchange.closedAt = Date.now();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
