// The second Jest pass of `npm test`: the lab's end-to-end suite through the CLI, run alone after the unit and
// integration tests so the scenarios' timings are not squeezed by other suites on a 2-core machine.
const base = require('./jest.config.js');
/** @type {import('jest').Config} */
module.exports = { ...base, testMatch: ['**/*.suite.test.ts'], testPathIgnorePatterns: [], maxWorkers: 1 };
