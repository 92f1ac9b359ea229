// A host must acknowledge a fault before the fault can take the process over. When the parent reads the IPC channel
// slowly (a busy manager on a loaded machine), the ack does not leave at once: it waits in this process's write
// queue, which only the event loop flushes. A block-loop applied right after such an ack keeps it queued for the
// whole block, and the parent sees "did not acknowledge" (or, once it kills the silent worker, "worker exited").
// So the agent's IPC host applies a fault only once its ack has left. This test backs the channel up for real.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { requireFreshBuild, dist, fixture, killIfRunning, waitFor } from '../test-support/dist';

beforeAll(() => requireFreshBuild());

let child: ChildProcess | undefined;
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-ack-'))));
afterEach(async () => {
  await killIfRunning(child);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Waits for a file with this process's event loop stopped: nothing is read from any channel meanwhile. */
function waitForFileBlocking(name: string, timeoutMs = 30_000): void {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(path.join(dir, name))) {
    if (Date.now() > deadline) throw new Error(`no ${name} from the app within ${timeoutMs} ms`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
}

test('block-loop starts only after its ack reached a parent that was not reading', async () => {
  const BLOCK_MS = 4000;
  const c = fork(fixture('ipc-backlog-app.js'), [], {
    execArgv: ['--require', dist('faults/agent/preload')],
    env: { ...process.env, MARK_DIR: dir },
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  child = c;
  const seen: Array<{ type: string; at: number }> = [];
  c.on('message', (m: { type: string }) => {
    if (m.type !== 'flood') seen.push({ type: m.type, at: Date.now() });
  });
  await waitFor(() => seen.some((m) => m.type === 'ready'), 'the app to start', 20_000);

  // With this process not reading, the app fills the channel until its own write queue holds the rest...
  c.send({ type: 'flood' });
  waitForFileBlocking('backlogged');
  // ...so the ack of this fault queues behind it. The app has taken the fault in (agent first, then the app's own
  // listener wrote got-fault) before this process reads anything again.
  c.send({ type: 'w3lab:fault', spec: { kind: 'hang', mode: 'block-loop', durationMs: BLOCK_MS } });
  waitForFileBlocking('got-fault');
  const resumed = Date.now();

  await waitFor(() => seen.some((m) => m.type === 'w3lab:fault-ack'), 'the ack', 20_000);
  const ackAt = seen.find((m) => m.type === 'w3lab:fault-ack')!.at;
  // Applied after the ack: the ack arrives as soon as the app's queue drains, not after the block.
  expect(ackAt - resumed).toBeLessThan(BLOCK_MS / 2);
  // And the fault did apply: a ping sent now waits for the block to end.
  c.send({ type: 'w3lab:ping', seq: 1 });
  await waitFor(() => seen.some((m) => m.type === 'w3lab:pong'), 'the pong', 20_000);
  expect(seen.find((m) => m.type === 'w3lab:pong')!.at - ackAt).toBeGreaterThan(BLOCK_MS / 2);
}, 60_000);
