import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // e2e suites share the test hosts and the release mirror: keep files sequential where they say so.
    testTimeout: 30_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
