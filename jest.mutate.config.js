// Jest for mutation runs (stryker.config.js): only the fast, in-process unit tests of the mutated code — no test that
// starts a server, a worker process or a container (Stryker runs the covering tests once per mutant, so one slow test
// multiplies into hours). A test added for a mutated file must be listed here to count.
const base = require('./jest.config');

const only = process.env['W3LAB_MUTATE_TESTS'];

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  // W3LAB_MUTATE_TESTS=checkers keeps only the checker tests: a run over a harness/checkers/ file then loads half the
  // test files per mutant (the runner's tests import the checkers). Its score can only be lower than a full run's.
  // W3LAB_MUTATE_TESTS=<path of one .test.ts file> keeps only that file: a quick lower bound for a module that every
  // test uses (each mutant of harness/checkers/shared.ts otherwise runs every checker test).
  testMatch:
    only === 'checkers'
      ? ['<rootDir>/harness/checkers/**/*.test.ts']
      : only?.endsWith('.test.ts')
        ? [`<rootDir>/${only}`]
        : [
            '<rootDir>/harness/checkers/**/*.test.ts',
            '<rootDir>/harness/runner/{fault-schedule,fault-schedule-steps,fault-schedule-marks}.test.ts',
            '<rootDir>/harness/runner/{container-fault-steps,not-supported}.test.ts',
            '<rootDir>/harness/runner/{preflight,preflight-rules,recorders}.test.ts',
            '<rootDir>/harness/runner/{unperformed-faults,run-check-specs,run-outcome}.test.ts',
            // run-scenario on a fake target with fake load clients (no server or process); sensitivity on fake runs.
            '<rootDir>/harness/runner/{run-scenario,sensitivity,target-settings}.test.ts',
            '<rootDir>/targets/w3/manager/*.test.ts',
          ],
  // Stryker decides how many Jest processes run; each runs its tests in band.
  maxWorkers: 1,
};
