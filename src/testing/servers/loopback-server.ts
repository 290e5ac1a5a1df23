import { join } from 'node:path';
import { ManagedProcess, type StartOptions } from './managed-process.js';
import { waitUntil } from './probe.js';
import { makeTempDir } from './temp-dir.js';

/**
 * A real server a test started on a free loopback port. Its data lives in a temp dir that
 * survives down()/up() (so a restarted broker still has its streams, exchanges and rows) and is
 * removed by stop().
 */
export interface LoopbackServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** A client URL for the server (scheme per server, e.g. redis://, nats://, mqtt://). */
  readonly url: string;
  /** The temp dir holding the server's data, config and log. */
  readonly dir: string;
  /** Milliseconds the first start took until the server answered. */
  readonly startMs: number;
  /** Stops the process, keeping its port and data: the broker is down. */
  down(): Promise<void>;
  /** Starts it again on the same port with the same data, and waits until it answers. */
  up(): Promise<void>;
  /** down() then up(). */
  restart(): Promise<void>;
  /** Stops the process and removes its data. Safe to call twice. */
  stop(): Promise<void>;
  /** The end of the server's log, for failure messages. */
  logTail(): string;
}

export interface ServerSpec {
  /** For messages and the temp dir's name. */
  name: string;
  port: number;
  url: string;
  /** Runs once before the first start (write config, initdb). */
  prepare?: (dir: string) => Promise<void> | void;
  /** What to run; called for every start. */
  command: (dir: string) => Omit<StartOptions, 'logFile'>;
  /** True once the server answers on its port. */
  ready: () => Promise<boolean>;
  readyTimeoutMs: number;
  stopSignal?: NodeJS.Signals;
  stopGraceMs?: number;
}

const BOOT_ATTEMPTS = 3;

export async function startLoopbackServer(spec: ServerSpec): Promise<LoopbackServer> {
  const temp = makeTempDir(spec.name);
  const logFile = join(temp.path, `${spec.name}.log`);
  let process: ManagedProcess | undefined;
  let stopped = false;

  // A broker that exits while it boots (seen once in ~30 RabbitMQ restarts on a loaded machine:
  // a clean exit, code 0, 3.5 s into the boot, never reproduced) is started again, at most
  // BOOT_ATTEMPTS times in all; its log is kept in the warning. A boot that hangs is not retried.
  const up = async (): Promise<void> => {
    if (stopped) throw new Error(`${spec.name}: already stopped`);
    if (process !== undefined && process.exitReason() === undefined) return;
    for (let attempt = 1; ; attempt++) {
      const started = new ManagedProcess({ ...spec.command(temp.path), logFile });
      process = started;
      try {
        await waitUntil(`${spec.name} on 127.0.0.1:${spec.port}`, spec.ready, {
          timeoutMs: spec.readyTimeoutMs,
          intervalMs: 100,
          abort: () => started.exitReason(),
        });
        return;
      } catch (err) {
        const exited = started.exitReason() !== undefined;
        await started.stop('SIGKILL', 1000);
        const message = `${err instanceof Error ? err.message : String(err)}\n--- ${spec.name} log ---\n${started.logTail()}`;
        if (!exited || attempt >= BOOT_ATTEMPTS) throw new Error(message);
        console.warn(`${spec.name}: exited while booting (attempt ${attempt} of ${BOOT_ATTEMPTS}); starting it again\n${message}`);
      }
    }
  };

  const down = async (): Promise<void> => {
    const current = process;
    process = undefined;
    await current?.stop(spec.stopSignal ?? 'SIGTERM', spec.stopGraceMs ?? 10_000);
  };

  const t0 = Date.now();
  try {
    await spec.prepare?.(temp.path);
    await up();
  } catch (err) {
    await down();
    temp.remove();
    throw err;
  }
  const startMs = Date.now() - t0;

  return {
    host: '127.0.0.1',
    port: spec.port,
    url: spec.url,
    dir: temp.path,
    startMs,
    up,
    down,
    restart: async () => {
      await down();
      await up();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await down();
      temp.remove();
    },
    logTail: () => process?.logTail() ?? '(not running)',
  };
}
