// With w3's defaults around the app, a worker killed under load costs clients nothing: the listener keeps every
// connection, the requests that were in flight are replayed on the replacement worker.
'use strict';
const path = require('node:path');
const { useTarget } = require('w3lab/jest');
const { good } = require('../w3-config');
const { killWorkerUnderLoad } = require('./load');

const lab = useTarget({ name: 'worker-crash', config: good, baseDir: path.join(__dirname, '..') });

test('a worker SIGKILLed under load: no connection dropped, no request failed', async () => {
  const result = await killWorkerUnderLoad(lab.session);
  expect(result).toPassChecks();
  expect(result.stats.requests).toBeGreaterThan(20);
}, 60000);
