// Jest runs the TypeScript sources through ts-jest. Type checking is done by `tsc` in `npm test`,
// so ts-jest is told to only transpile (isolatedModules) and stays fast.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/targets', '<rootDir>/harness', '<rootDir>/faults'],
  testMatch: ['**/*.test.ts'],
  // *.suite.test.ts run in a second pass (jest.suite.config.js).
  testPathIgnorePatterns: ['/node_modules/', '\\.suite\\.test\\.ts$'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  maxWorkers: 2,
  verbose: false,
};
