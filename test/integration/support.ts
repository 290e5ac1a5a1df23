import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { DuetimeConfig } from '../../src/config/config.js';
import { startDuetime, type RunningDuetime } from '../../src/main.js';
import { RecordingReceiver } from '../../src/testing/recording-receiver.js';

export interface Node {
  duetime: RunningDuetime;
  receiver: RecordingReceiver;
  dataDir: string;
  /** fetch against the node's HTTP API, JSON in and out. */
  // The body is any on purpose: tests read response fields directly and assert on them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string }>;
  close(): Promise<void>;
}

/** A real Duetime (SQLite in a temp dir, HTTP on a free loopback port) and a real receiving app. */
export async function startNode(config: Partial<DuetimeConfig> = {}): Promise<Node> {
  const receiver = await new RecordingReceiver().start();
  const dataDir = mkdtempSync(join(tmpdir(), 'duetime-it-'));
  const duetime = await startDuetime(
    { port: 0, grpcPort: 0, schedulerPort: 0, dataDir, appId: 'app', appUrl: receiver.url, ...config },
    { logger: pino({ level: process.env.DUETIME_TEST_LOG ?? 'silent' }) },
  );
  const call: Node['call'] = async (method, path, body, headers = {}) => {
    const response = await fetch(`${duetime.httpUrl}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, text };
  };
  return {
    duetime,
    receiver,
    dataDir,
    call,
    async close() {
      await duetime.stop();
      await receiver.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
