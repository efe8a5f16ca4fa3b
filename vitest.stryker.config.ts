import { defineConfig } from 'vitest/config';

// The tests Stryker runs against each mutant (npm run mutation): the unit tests of the money
// modules and the money proofs. Left out: wire tests (real pcscd/vpcd/socat, shared by every
// engineer on the machine: a mutant must never reach a shared OS stack), the browser e2e, and the
// whole-system / multi-process / timing tests (minutes per run on a shared 2-core machine, flaky
// under that load, and they reach the money modules only through paths the module tests walk).
// Stryker's vitest runner further runs only the tests related to the mutated files (vitest
// --related), and per mutant only the tests that reached it (perTest coverage).
// STRYKER_TESTS=glob,glob narrows the tests further for one module's run on a busy machine, e.g.
//   STRYKER_TESTS='state-machines/**/*.test.ts' npm run mutation -- --mutate 'state-machines/top-up/*.ts'
const only = process.env.STRYKER_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  test: {
    include: only ?? [
      'domain/**/*.test.ts',
      'state-machines/**/*.test.ts',
      'main/services/**/*.test.ts',
      'main/journal/**/*.test.ts',
      'main/money/**/*.test.ts',
      'hardware/card/**/*.test.ts',
      'test/money/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', 'dist/**', '**/*.wire.test.ts', 'test/e2e/**', '.stryker-tmp*/**', 'main/journal/sqlite-journal.kill.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
  },
});
