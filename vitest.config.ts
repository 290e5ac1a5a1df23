import { defineConfig } from 'vitest/config';

// Two projects: fast unit/conformance tests (fake clock, in-process) and integration tests
// that start real servers and processes. Integration files run one at a time so that real-time
// bounds are not squeezed by neighbours on a 2-core machine.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/conformance/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
