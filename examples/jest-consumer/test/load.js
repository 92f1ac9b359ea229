// The experiment both tests run: keep-alive load at the app, one worker SIGKILLed while requests are in flight,
// then the checks. Returns the session's result for the window.
'use strict';

async function waitFor(what, pred, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function killWorkerUnderLoad(session) {
  const load = session.drive({ connections: 4, duration: '3s', requests: [{ path: '/work?ms=20' }] });
  // The kill must land while the load is running: wait until requests are being answered.
  await waitFor('the first 20 requests', () => session.history().filter((r) => r.kind === 'request').length >= 20);
  await session.fault({ action: 'signal', signal: 'SIGKILL' });
  await load;
  // minRequests 20 (default 100): on a busy CI machine 3 s of load may bring fewer than 100 answers, and the check
  // would then be undecided; the 20 answered before the kill plus those after it are enough to show a failure.
  const checks = [{ check: 'connectionsSurvive' }, { check: 'noFailedRequests', options: { minRequests: 20 } }];
  return session.check(checks, {
    name: 'sigkill-under-load',
  });
}

module.exports = { killWorkerUnderLoad };
