// Where the writer thread's code comes from when the store runs from the TypeScript sources
// (Vitest, tsx; never from dist/, whose worker is plain JavaScript). A worker inherits no loader:
// registering tsx in each one took ~550 ms per start (a module-hooks thread of its own, then the
// worker's 34 modules through it), which every writer-thread test paid. Instead the worker's
// module graph is bundled once per process with esbuild, the compiler tsx itself runs on, into
// one .mjs under the project's .tmp/: its packages (better-sqlite3, croner) stay imports and
// resolve from there as from the sources. A worker then starts in ~50 ms.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

let bundled: URL | undefined;

/** The worker entry (a .ts file) bundled into one ES module file; made once per process. */
export function writerSourceBundle(entry: URL): URL {
  if (bundled) return bundled;
  // Loaded only here: esbuild is a development dependency, and dist/ never takes this path.
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents;
  if (!code) throw new Error(`esbuild produced nothing for ${entry.href}`);
  const dir = new URL('../../../.tmp/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  // Named by content: processes running the same sources share one file, and a changed source
  // makes a new one. Written whole under a private name first, so no process imports half a file.
  const file = new URL(`sqlite-writer-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`, dir);
  if (!existsSync(file)) {
    const partial = new URL(`${file.pathname.split('/').pop()}.${process.pid}.partial`, dir);
    writeFileSync(partial, code);
    renameSync(partial, file);
  }
  bundled = file;
  return file;
}
