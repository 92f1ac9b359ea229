// The w3 settings the tests run the app with (overrides of w3's defaults). `sabotaged` is the same with the
// mistake the second test must catch: rapid-fail protection set to give up after a single crash.
'use strict';
const good = {
  pools: [{ name: 'app', startMode: 'AlwaysRunning', processModel: { maxProcesses: 1 } }],
  applications: [{ path: '/', pool: 'app', module: './app.js' }],
};

const sabotaged = {
  ...good,
  pools: [{ ...good.pools[0], failure: { rapidFailProtectionMaxCrashes: 1 } }],
};

module.exports = { good, sabotaged };
