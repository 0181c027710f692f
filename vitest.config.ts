import { defineConfig } from 'vitest/config';

// Two projects so that `pnpm test` runs both while a developer can run either alone:
// `unit` is pure logic beside the source; `integration` talks to real redis-server processes
// and shares one cluster booted by the global setup.
export default defineConfig({
  test: {
    // CI reads the JSON report to print one plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'test-cluster/src/**/*.test.ts', 'bench/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'test-cluster/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test-cluster/src/vitest-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Booting clusters is CPU-heavy on two cores; files run one at a time so that
          // fault-injection tests measure the client, not the scheduler.
          fileParallelism: false,
        },
      },
    ],
  },
});
