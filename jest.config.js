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
  // How long a worker may take to end once Jest asks it to, before "A worker process has failed to exit gracefully"
  // (Jest's default: 500 ms). A worker that left nothing running still needs its Node teardown (freeing a heap of
  // hundreds of MB: TypeScript, ts-jest, every module it loaded): measured 500-700 ms on a loaded 2-core machine for
  // two one-line test files, which then got the warning every time. A real leak (a child, socket or timer left
  // running) keeps a worker alive for good and is still reported, after this delay.
  workerGracefulExitTimeout: 5000,
  verbose: false,
};
