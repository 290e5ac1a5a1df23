// Vitest global set-up of the integration project: integration tests spawn the build
// (dist/cli/main.js, see src/testing/built-cli.ts), so it must be as new as the sources. A
// clean clone after `npm ci` (CI) has a fresh build and pays nothing; after an edit, the first
// run rebuilds (`npm run build`, about half a minute on 2 cores).

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the build reads: the server's and the SDK's sources and their configs. */
const SOURCES = ['src', 'packages/sdk/src', 'packages/sdk/proto', 'package.json', 'packages/sdk/package.json', 'tsconfig.json', 'tsconfig.build.json', 'packages/sdk/tsconfig.json'];
/** What it writes, one file each of the server's and the SDK's build. */
const OUTPUTS = ['dist/cli/main.js', 'packages/sdk/dist/index.js'];

export default function setup(): void {
  if (!isStale()) return;
  console.log('integration tests run the build: sources are newer than dist/, running `npm run build`');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

function isStale(): boolean {
  const outputs = OUTPUTS.map((path) => join(ROOT, path));
  if (!outputs.every((path) => existsSync(path))) return true;
  const built = Math.min(...outputs.map((path) => statSync(path).mtimeMs));
  return SOURCES.some((path) => newestMtime(join(ROOT, path)) > built);
}

/** The newest modification time of a file, or of any file under a folder (src/testing is not built). */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath ?? entry.path, entry.name);
    if (file.includes(join('src', 'testing'))) continue;
    newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}
