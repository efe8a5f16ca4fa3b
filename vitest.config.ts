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
          // Two workers on two cores (vitest's default is one fewer than the cores): the unit tests
          // 392 -> ~240 s. Stop 19 kept the default after one unidentified failure in six runs of
          // backoffice/ and test/attacks/ at two workers; stop 20 ran them eleven times beside the
          // money proofs and fixed what failed there: a real race (concurrent revocations of one
          // technician on PostgreSQL, backoffice/technicians.ts), and a starvation test whose shed
          // could miss by where in a 200 ms sample it fell (backoffice/poll-shedding.test.ts: a
          // variant of it failed there; the analysis is in the test).
          maxWorkers: 2,
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
