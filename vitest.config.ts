import { defineConfig } from 'vitest/config';

// Three projects: `unit` (vitest's default workers); `wire` and `money` drive shared OS stacks (one pcscd per
// machine, vpcd's fixed ports, socat pseudo-terminals) and so run one file at a time. `money` is the
// kill-at-every-step money proofs (test/money): mostly waiting on the terminal's protocol timers, so
// `npm test` runs it beside the unit tests and Playwright (scripts/test.mjs); `wire` is the driver
// stacks with short protocol timers, run alone. `npm test -- wire` runs both. In one `vitest run`
// the projects go one after the other (groupOrder: without it vitest runs projects at once, and the
// driver-stack tests start and kill the pcscd the money proofs use).
const ALWAYS_EXCLUDED = ['**/node_modules/**', 'dist/**', '.stryker-tmp*/**'];
/** The wire-level projects: shared OS stacks, so one file at a time, with room for real timers. */
const ONE_FILE_AT_A_TIME = { environment: 'node', fileParallelism: false, testTimeout: 120_000, hookTimeout: 60_000 } as const;

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          // vitest's default: one worker fewer than the cores (one on a two-core machine). Two
          // workers took the unit tests from 392 to 243 s, but one of six runs of backoffice/ and
          // test/attacks/ with two workers failed a test (which one was not kept; several there
          // bound times under load): kept at the default until that is found.
          include: ['**/*.test.ts', '**/*.test.tsx'],
          exclude: [...ALWAYS_EXCLUDED, 'test/e2e/**', '**/*.wire.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      { extends: true, test: { ...ONE_FILE_AT_A_TIME, name: 'wire', sequence: { groupOrder: 1 }, include: ['**/*.wire.test.ts'], exclude: [...ALWAYS_EXCLUDED, 'test/money/**'] } },
      { extends: true, test: { ...ONE_FILE_AT_A_TIME, name: 'money', sequence: { groupOrder: 2 }, include: ['test/money/**/*.wire.test.ts'], exclude: ALWAYS_EXCLUDED } },
    ],
  },
});
