// A real HTTP app for tests: records every callback it receives (with its own receive time) and
// answers with whatever the test says. Binds to loopback on a free port.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Date.now() when the request arrived. */
  receivedAt: number;
  /** Parsed duetime-scheduled-time header, if any. */
  scheduledAt?: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

export class RecordingReceiver {
  readonly received: Received[] = [];
  respond: (request: Received) => Reply = () => ({ status: 200 });
  private server: Server | undefined;
  private waiters: Array<{ predicate: () => boolean; resolve: () => void }> = [];
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const receivedAt = Date.now();
        const scheduled = req.headers['duetime-scheduled-time'];
        const entry: Received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt,
          ...(typeof scheduled === 'string' ? { scheduledAt: Date.parse(scheduled) } : {}),
        };
        this.received.push(entry);
        const reply = this.respond(entry);
        const send = (): void => {
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body ?? '');
          this.wake();
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs);
        else send();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Callbacks for one job name (path /job/{name}). */
  forJob(name: string): Received[] {
    const path = `/job/${encodeURIComponent(name)}`;
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves when the predicate holds (checked after each request), or rejects after timeoutMs. */
  waitFor(predicate: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.received.length} requests`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ predicate, resolve: done });
    });
  }

  /** Every received trigger arrived at or after its scheduled time. */
  earlyDeliveries(): Received[] {
    return this.received.filter((r) => r.scheduledAt !== undefined && r.receivedAt < r.scheduledAt);
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate()) return true;
      w.resolve();
      return false;
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
