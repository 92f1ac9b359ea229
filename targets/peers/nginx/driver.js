// The nginx peer: nginx in front of N plain Node backends. See README.md beside this file.
'use strict';
const { runFrontDriver } = require('../common/front-driver');

runFrontDriver(require('./front')).catch((err) => {
  process.stderr.write(`nginx driver: ${err.stack || err}\n`);
  process.exit(1);
});
