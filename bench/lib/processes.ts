// Child processes of the bench, tracked so that none outlives it. Every process is started in a
// Scope; closing the scope (at the end of a stage, on its timeout, or on any failure) kills what
// is still running. Output goes to a log file in the scope's folder and is kept in memory
// (bounded) so a failure can quote its tail.

import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

const KEEP_OUTPUT_CHARS = 64_000;

export interface Started {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  /** The last KEEP_OUTPUT_CHARS characters of stdout and stderr, interleaved. */
  output(): string;
  /** Resolves with the first match of pattern in the output; rejects if the process exits or timeoutMs passes. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Sends signal and waits (bounded) for the exit; SIGKILL if it outlives graceMs. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

export class Scope {
  private readonly running = new Set<Started>();
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(private readonly logDir: string) {}

  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(join(this.logDir, `${name}.log`));
    let output = '';
    const listeners = new Set<() => void>();
    const onData = (chunk: Buffer): void => {
      log.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-KEEP_OUTPUT_CHARS);
      for (const listener of listeners) listener();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<number | string>((resolve) => {
      child.once('error', (error) => {
        output += `\n[bench] could not start ${command}: ${error.message}\n`;
        resolve('spawn-error');
      });
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    }).finally(() => {
      log.end();
      this.running.delete(started);
      for (const listener of listeners) listener();
    });
    let gone = false;
    void exited.then(() => (gone = true));

    const started: Started = {
      name,
      child,
      exited,
      output: () => output,
      waitForOutput(pattern, timeoutMs) {
        return new Promise((resolve, reject) => {
          const check = (): void => {
            const match = output.match(pattern);
            if (match) finish(() => resolve(match));
            else if (gone) finish(() => reject(new Error(`${name} exited before printing ${pattern}:\n${tail(output)}`)));
          };
          const timer = setTimeout(
            () => finish(() => reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms:\n${tail(output)}`))),
            timeoutMs,
          );
          const finish = (settle: () => void): void => {
            clearTimeout(timer);
            listeners.delete(check);
            settle();
          };
          listeners.add(check);
          check();
        });
      },
      async stop(signal = 'SIGTERM', graceMs = 15_000) {
        if (!gone) child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
    };
    this.running.add(started);
    return started;
  }

  /**
   * Runs `cleanup` when the scope closes: for what is started some other way than start() (the
   * cluster harness's etcd and replicas), so a stage that times out still leaves nothing running.
   */
  defer(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** Kills (SIGKILL) every process of this scope still running and waits for them to go; runs what was deferred. */
  async close(): Promise<void> {
    await Promise.allSettled(this.cleanups.splice(0).map((cleanup) => cleanup()));
    const left = [...this.running];
    for (const started of left) started.child.kill('SIGKILL');
    await Promise.all(left.map((started) => started.exited));
  }
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
