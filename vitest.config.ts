import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/ui/**/*.test.tsx', 'test/ui/**/*.test.ts'],
          setupFiles: ['test/ui/no-ci.ts'],
          testTimeout: 20_000,
        },
      },
      {
        // Suites that use test hosts, the release mirror, real etcd or a terminal: one file at a time, since they
        // share the bridge, the host addresses and the machine's two cores.
        extends: true,
        test: {
          name: 'system',
          include: ['test/harness/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/terminal/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
