// Crash and startup faults end the process, so each runs in a child `node` process using the compiled agent from
// dist/ (run `npm run build` first; the suite says so when the build is missing or stale).
import os from 'node:os';
import { requireFreshBuild, dist, runNode } from '../test-support/dist';

beforeAll(() => requireFreshBuild());

/** Child: applies one crash spec through the real agent; exits 0 after 10 s if the crash did not happen. */
function crashChild(spec: object): ReturnType<typeof runNode> {
  const script = `
    const { createFaultAgent } = require(${JSON.stringify(dist('faults/agent/agent'))});
    const { parseWorkerFault } = require(${JSON.stringify(dist('faults/spec'))});
    const parsed = parseWorkerFault(${JSON.stringify(spec)});
    if (!parsed.ok) { console.error(parsed.error); process.exit(99); }
    createFaultAgent().apply(parsed.value);
    setTimeout(() => process.exit(0), 10000);
  `;
  // cwd in tmp: an abort may leave a core file behind.
  return runNode(['-e', script], { cwd: os.tmpdir() });
}

test('exit mode exits with the exit code', async () => {
  const r = await crashChild({ kind: 'crash', mode: 'exit', exitCode: 3 });
  expect([r.code, r.signal]).toEqual([3, null]);
});

test('delayMs defers the crash', async () => {
  const r = await crashChild({ kind: 'crash', mode: 'exit', exitCode: 4, delayMs: 400 });
  expect(r.code).toBe(4);
  expect(r.ms).toBeGreaterThanOrEqual(400);
});

test.each(['SIGKILL', 'SIGSEGV', 'SIGTERM'] as const)('signal mode dies of %s', async (signal) => {
  const r = await crashChild({ kind: 'crash', mode: 'signal', signal });
  expect([r.code, r.signal]).toEqual([null, signal]);
});

test('uncaught-exception ends the process with a non-zero exit', async () => {
  const r = await crashChild({ kind: 'crash', mode: 'uncaught-exception' });
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stderr).toContain('injected uncaught exception');
});

test('unhandled-rejection ends the process with a non-zero exit', async () => {
  const r = await crashChild({ kind: 'crash', mode: 'unhandled-rejection' });
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stderr).toContain('injected unhandled rejection');
});

test('abort dies of SIGABRT', async () => {
  const r = await crashChild({ kind: 'crash', mode: 'abort' });
  expect(r.signal).toBe('SIGABRT');
});

/** Child: applies the startup fault from its environment, then would load the app and report ready. */
function startupChild(mode: string, maxHangMs?: number): ReturnType<typeof runNode> {
  const script = `
    require(${JSON.stringify(dist('faults/agent/startup'))})
      .applyStartupFault(process.env, ${JSON.stringify({ maxHangMs })});
    console.log('READY');
  `;
  return runNode(['-e', script], { env: { ...process.env, W3LAB_STARTUP_FAULT: mode } });
}

test('startup crash exits 70 before the app loads', async () => {
  const r = await startupChild('crash');
  expect(r.code).toBe(70);
  expect(r.stdout).not.toContain('READY');
  expect(r.stderr).toContain('startup fault');
});

test('startup hang never reports ready and ends at its bound with exit 71', async () => {
  const r = await startupChild('hang', 800);
  expect(r.code).toBe(71);
  expect(r.ms).toBeGreaterThanOrEqual(800);
  expect(r.stdout).not.toContain('READY');
});

test('no startup fault, or an unknown one, lets the worker start', async () => {
  const none = await startupChild('');
  expect([none.code, none.stdout.trim()]).toEqual([0, 'READY']);
  const unknown = await startupChild('explode');
  expect([unknown.code, unknown.stdout.trim()]).toEqual([0, 'READY']);
  expect(unknown.stderr).toContain('ignoring unknown');
});
