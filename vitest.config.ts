import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// The SDK workspace (packages/sdk, `@duetime/sdk`) exports its TypeScript sources under the
// "duetime-source" condition: tests, and the server code they run, use the SDK's sources, never
// a stale build. In-process through Vite's resolver; in child processes (`node --import tsx`)
// through NODE_OPTIONS, which they inherit with process.env.
const SOURCE_CONDITION = 'duetime-source';

// Two projects: fast unit/conformance tests (fake clock, in-process) and integration tests
// that start real servers and processes. Unit files run two at a time (Vitest's default on two
// cores is one). Integration files run after them, one at a time so that real-time bounds are
// not squeezed by neighbours on a 2-core machine, and all in one worker (isolate: false): a fresh
// worker per file re-imported the server's module graph each time, about 1.5 s of every file.
export default defineConfig({
  // Without Vite's "module" condition: Node ignores it, and a package may point it at a build Node
  // cannot load (OpenTelemetry's: ESM with extensionless imports). Tests load what Node loads.
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions.filter((c) => c !== 'module')] } },
  test: {
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=${SOURCE_CONDITION}`.trim() },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/conformance/**/*.test.ts'],
          testTimeout: 20_000,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Tests spawn the build (dist/), not the sources through tsx: it starts ~1 s sooner per
          // spawn. The first set-up rebuilds it when a source is newer; the second owns the brokers
          // that are slow to boot, started once per run for the files that share them.
          globalSetup: ['test/integration/fresh-build.global.ts', 'test/integration/shared-servers.global.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
