// What every stage of the bench receives, and the helpers stages share.

import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Scope } from './processes.js';

export interface StageContext {
  /** This stage's own folder (data dirs, logs, profiles); removed with the bench's work dir. */
  dir: string;
  scope: Scope;
  log(message: string): void;
}

export function stageContext(workDir: string, name: string, log: (message: string) => void): StageContext {
  const dir = join(workDir, name);
  mkdirSync(dir, { recursive: true });
  return { dir, scope: new Scope(dir), log: (message) => log(`[${name}] ${message}`) };
}

/** A fresh subfolder of the stage's folder. */
export function subdir(ctx: StageContext, name: string): string {
  const dir = join(ctx.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The main thread's .cpuprofile in dir. node --cpu-prof writes one per thread, named
 * CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is thread 0, and the
 * SQLite writer thread (on in the server) writes its own.
 */
export function findProfile(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const file = files.find((f) => /\.0\.\d+\.cpuprofile$/.test(f)) ?? files[0];
  if (!file) throw new Error(`no .cpuprofile in ${dir}: did the process exit cleanly?`);
  return join(dir, file);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects after ms with a message naming what timed out; the caller closes the stage's scope. */
export async function withTimeout<T>(what: string, ms: number, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
