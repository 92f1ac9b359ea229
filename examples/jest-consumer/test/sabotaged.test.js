// The same experiment against a sabotaged configuration (rapid-fail protection gives up after one crash, so the
// pool stops and clients get 503s): the checks must fail, and the failure message must say which check failed and
// where the report is. This is the proof that the first test can fail.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { useTarget, toPassChecks } = require('w3lab/jest');
const { sabotaged } = require('../w3-config');
const { killWorkerUnderLoad } = require('./load');

const lab = useTarget({ name: 'sabotaged', config: sabotaged, baseDir: path.join(__dirname, '..') });

test('with rapid-fail protection at one crash, the same kill fails noFailedRequests', async () => {
  const result = await killWorkerUnderLoad(lab.session);
  expect(result).not.toPassChecks();
  expect(result.valid).toBe(false);
  const failed = result.checks.filter((c) => c.verdict.valid === false).map((c) => c.name);
  expect(failed).toContain('noFailedRequests');
  // What a developer would read in Jest's output had they expected a pass:
  const message = toPassChecks(result).message();
  expect(message).toContain('FAIL    noFailedRequests');
  expect(message).toContain(`report: ${result.files.report}`);
  expect(fs.existsSync(result.files.report)).toBe(true);
}, 60000);
