import { defineConfig } from 'vitest/config';

// Unit tests live beside the source; real-server tests come with the cluster harness.
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
    ],
  },
});
