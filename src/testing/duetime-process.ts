// Runs `duetime serve` as a real child process (the build: src/testing/built-cli.ts), so tests
// can kill -9 it and restart it on the same data.

import { spawn, type ChildProcess } from 'node:child_process';
import { BUILT_CLI, builtCliEnv } from './built-cli.js';
import { freePort } from './servers/free-port.js';

export interface DuetimeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process printed (JSON log lines). */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnDuetime(args: string[], env: Record<string, string> = {}, readyTimeoutMs = 30_000): Promise<DuetimeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [BUILT_CLI, 'serve', '--port', String(port), '--grpc-port', '0', '--scheduler-port', '0', ...args], {
    env: builtCliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started server behind
      reject(new Error(`duetime did not start within ${readyTimeoutMs} ms:\n${output}`));
    }, readyTimeoutMs);
    const check = (): void => {
      if (output.includes('duetime is serving')) {
        clearTimeout(deadline);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(deadline);
      reject(new Error(`duetime exited with ${code} before serving:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
