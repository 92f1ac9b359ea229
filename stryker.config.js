// Mutation testing (StrykerJS): does every listed file's behaviour have a test that notices when it changes?
// `npm run mutate` mutates the files below and runs the covering unit tests (jest.mutate.config.js) per mutant;
// `npm run mutate -- --mutate harness/checkers/latency-budget.ts` mutates one file. The score table prints on the
// console; reports/mutation/ keeps the HTML and JSON reports and the incremental file (not committed: see README).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  testRunner: 'jest',
  jest: { configFile: 'jest.mutate.config.js', enableFindRelatedTests: true },
  // No TypeScript checker by default: on this shared 2-core machine it costs minutes before the first mutant and
  // halves the test runners. `npm run mutate -- --checkers typescript` reports type-invalid mutants as compile
  // errors instead of running them (use it before excluding a survivor as "cannot happen").
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  mutate: [
    'harness/checkers/**/*.ts',
    'harness/runner/**/*.ts',
    'targets/w3/manager/rapid-fail.ts',
    'targets/w3/manager/recycler.ts',
    'targets/w3/manager/health.ts',
    'targets/w3/manager/app-pool.ts',
    'targets/w3/manager/dispatch-policy.ts',
    'targets/w3/manager/host-lag.ts',
    'targets/w3/manager/request-queue.ts',
    '!**/*.test.ts',
    '!**/test-support/**',
  ],
  // The machine is shared (2 cores): two Jest processes at most, and generous timeouts for a loaded CPU.
  concurrency: 2,
  timeoutMS: 10000,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 85, low: 70, break: null },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['/results', '/reports', '/w3lab-results', '/coverage', '/.stryker-tmp'],
};
