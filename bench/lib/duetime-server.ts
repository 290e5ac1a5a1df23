// Starts Duetime the way a user does, from the build (`node bin/duetime.js serve`), as its own
// process on a free port (--port 0; the port is read from the "duetime is serving" log line),
// and waits until /readyz answers 200. BENCH_DUETIME_BIN names another build's bin/duetime.js
// to measure instead (say, a copy of dist/ with a change, for an A/B comparison), and
// BENCH_DUETIME_NODE_ARGS adds Node flags to every Duetime server the stages start (say
// "--max-semi-space-size=16", to compare a V8 setting on one build).

import { join } from 'node:path';
import { envArgs } from './env-args.js';
import type { Scope, Started } from './processes.js';
import { procMemory } from './proc-memory.js';

export const PROJECT_DIR = join(import.meta.dirname, '..', '..');
const CLI = process.env.BENCH_DUETIME_BIN ?? join(PROJECT_DIR, 'bin', 'duetime.js');
const START_TIMEOUT_MS = 30_000;

export interface DuetimeServer {
  url: string;
  process: Started;
  /** The command line, for the results. */
  command: string;
}

export interface DuetimeStartOptions {
  dataDir: string;
  appUrl?: string;
  /** Node flags before the script, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Extra `serve` flags. */
  serveArgs?: string[];
}

export async function startDuetime(scope: Scope, name: string, options: DuetimeStartOptions): Promise<DuetimeServer> {
  const args = [
    ...envArgs('BENCH_DUETIME_NODE_ARGS'),
    ...(options.nodeArgs ?? []),
    CLI,
    'serve',
    '--host', '127.0.0.1',
    '--port', '0',
    '--grpc-port', '0',
    '--scheduler-port', '0',
    '--app-id', 'app',
    '--data-dir', options.dataDir,
    // The bench measures the engine and the store, not the per-app quotas: one app sends it all.
    '--max-jobs-per-app', '0',
    '--schedule-rate-per-app', '0',
    ...(options.appUrl ? ['--app-url', options.appUrl] : []),
    ...(options.serveArgs ?? []),
  ];
  const started = scope.start(name, process.execPath, args);
  const [, url] = await started.waitForOutput(/"httpUrl":"(http:\/\/[^"]+)"[^\n]*duetime is serving/, START_TIMEOUT_MS);
  await waitReady(url!, started);
  return { url: url!, process: started, command: `node ${args.join(' ')}` };
}

/** The server's peak resident set so far (VmHWM) in MiB, for the stages' log lines; NaN if unreadable. */
export function peakRssMiB(server: DuetimeServer): number {
  return Math.round(procMemory(server.process.child.pid).peakRssBytes / 1048576);
}

async function waitReady(url: string, started: Started): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const response = await fetch(`${url}/readyz`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not accepting yet
    }
    if (Date.now() > deadline) throw new Error(`${started.name} at ${url} not ready within ${START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts one of the bench's own helper servers (bare-server.js, burst-receiver.js) and reads its port. */
export async function startHelper(scope: Scope, name: string, script: string, nodeArgs: string[] = []): Promise<{ url: string; process: Started }> {
  const started = scope.start(name, process.execPath, [...nodeArgs, join(PROJECT_DIR, 'bench', script)]);
  const [, port] = await started.waitForOutput(/listening (\d+)/, START_TIMEOUT_MS);
  return { url: `http://127.0.0.1:${port}`, process: started };
}
