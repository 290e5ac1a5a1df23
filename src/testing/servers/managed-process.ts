import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

// A server process that a test owns: started in its own process group (so helpers it forks,
// like RabbitMQ's epmd or beam children, go with it), its output kept in a log file (no pipes,
// so a forgotten server never keeps the test runner alive), and killed when the test process
// exits for any reason this process can still see.

const live = new Set<ManagedProcess>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.killNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const child of live) child.killNow();
      // Nobody else handles it: re-raise with the default action, so the process still ends
      // as it would have without this hook.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

export interface StartOptions {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user (only when we are root): postgres refuses to run as root. */
  uid?: number;
  gid?: number;
  /** Where stdout and stderr go (appended, so restarts keep the earlier output). */
  logFile: string;
}

export class ManagedProcess {
  readonly #child: ChildProcess;
  readonly #logFile: string;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly #exited: Promise<void>;

  constructor(options: StartOptions) {
    installExitHooks();
    this.#logFile = options.logFile;
    const log = openSync(options.logFile, 'a');
    try {
      this.#child = spawn(options.command, options.args, {
        env: options.env ?? process.env,
        cwd: options.cwd,
        uid: options.uid,
        gid: options.gid,
        detached: true,
        stdio: ['ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    this.#child.unref();
    live.add(this);
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        live.delete(this);
        resolve();
      });
      this.#child.once('error', (err) => {
        this.#exit = { code: null, signal: null };
        live.delete(this);
        // Keep the spawn error (e.g. ENOENT) for the caller's message.
        this.spawnError = err;
        resolve();
      });
    });
  }

  spawnError: Error | undefined;

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Why the process is gone, or undefined while it runs. */
  exitReason(): string | undefined {
    if (this.spawnError) return `could not start: ${this.spawnError.message}`;
    if (this.#exit === undefined) return undefined;
    const how = this.#exit.signal ? `signal ${this.#exit.signal}` : `code ${this.#exit.code}`;
    return `exited with ${how}; log tail:\n${this.logTail()}`;
  }

  logTail(bytes = 4000): string {
    try {
      const text = readFileSync(this.#logFile, 'utf8');
      return text.slice(-bytes);
    } catch {
      return '(no log)';
    }
  }

  /**
   * Sends `signal` to the whole process group and waits for the leader to exit; after
   * `graceMs` it sends SIGKILL. Stragglers of the group are killed at the end either way.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (this.#exit === undefined) {
      this.#signalGroup(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.#exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.#signalGroup('SIGKILL');
        await this.#exited;
      }
    }
    this.#signalGroup('SIGKILL');
  }

  /** Synchronous last resort, for process exit. */
  killNow(): void {
    this.#signalGroup('SIGKILL');
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }
}
