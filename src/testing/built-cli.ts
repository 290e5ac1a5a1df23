// The `duetime` command as integration tests spawn it: the build in dist/, as a user runs it
// (bin/duetime.js imports the same file). The integration project's global set-up
// (test/integration/fresh-build.global.ts) rebuilds dist/ first when a source is newer, so a
// test never runs stale code. Why not the sources through tsx: one `duetime jobs list` took
// ~1.2 s through tsx and ~0.23 s from the build (median of 5 on an idle 2-core machine), and
// the suite spawns the CLI and `duetime serve` a few hundred times.

import { fileURLToPath } from 'node:url';

/** dist/cli/main.js: run it with `process.execPath` and `builtCliEnv()`. */
export const BUILT_CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const SOURCE_CONDITION = /--conditions=duetime-source/g;

/**
 * This process's environment for a child running the build, plus `extra`. Without Vitest's
 * `--conditions=duetime-source` in NODE_OPTIONS: with it, the build's `import '@duetime/sdk'`
 * would resolve to the SDK's TypeScript sources, which plain Node cannot load.
 */
export function builtCliEnv(extra: NodeJS.ProcessEnv = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base, ...extra };
  if (env.NODE_OPTIONS !== undefined) env.NODE_OPTIONS = env.NODE_OPTIONS.replace(SOURCE_CONDITION, '').trim();
  return env;
}
