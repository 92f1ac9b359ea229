// slow-start: lab-app behind a start-up that takes SLOW_START_MS (default 1500) — for queue and demand-start tests.
'use strict';
const ms = Number(process.env.SLOW_START_MS || 1500);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
module.exports = require('./lab-app.js');
