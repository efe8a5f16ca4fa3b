import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs in parallel; `wire` drives shared OS stacks (one pcscd per machine,
// vpcd's fixed port, socat pseudo-terminals) and so runs one file at a time.
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.test.ts', '**/*.test.tsx'],
          exclude: ['**/node_modules/**', 'dist/**', 'test/e2e/**', '**/*.wire.test.ts', '.stryker-tmp*/**'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'wire',
          include: ['**/*.wire.test.ts'],
          exclude: ['**/node_modules/**', 'dist/**', '.stryker-tmp*/**'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
