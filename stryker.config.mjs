// Mutation testing of the money modules (issue 12 item 6): `npm run mutation`, never part of
// `npm test`. One module at a time on a shared machine:
//   npm run mutation -- --mutate 'domain/order-rules.ts'
// perTest coverage: each mutant runs only the tests that reach it. Incremental: results are kept
// in reports/stryker-incremental.json and only changed mutants/tests run again.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 2,
  timeoutMS: 20000,
  mutate: [
    'main/services/*.ts',
    'main/journal/*.ts',
    'main/money/*.ts',
    'hardware/card/codec*.ts',
    'domain/order-rules.ts',
    'state-machines/top-up/*.ts',
    '!**/*.test.ts',
  ],
  ignorePatterns: ['.stryker-tmp*', 'dist', 'release', 'build', 'test-results', 'playwright-report', '.kiosk-data', 'reports', 'packaging'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
