// The app as PM2 runs it in cluster mode: the lab's Node backend (common/backend.js) plus the graceful shutdown
// PM2's documentation recommends — on SIGINT (PM2's kill_signal) close the server, then exit; PM2 SIGKILLs the
// worker if that takes longer than kill_timeout.
'use strict';
require('../common/backend.js');
const http = require('node:http');
process.on('SIGINT', () => {
  for (const s of http.__w3labServers || []) s.close(() => process.exit(0));
  if (!(http.__w3labServers || []).length) process.exit(0);
});
