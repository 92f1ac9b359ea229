// Signals against real child processes: SIGSTOP really freezes a child (its periodic output stops, /proc shows
// state T), SIGCONT resumes it, and withPause always resumes — also when its body throws.
import fs from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { sendSignal, pauseProcess, resumeProcess, withPause, processExists } from './signals';
import { isFaultError } from '../errors';
import { collect, waitFor, killIfRunning } from '../test-support/dist';

let child: ChildProcess | undefined;
let ticks = 0;
afterEach(() => killIfRunning(child));

/** A child printing a dot every 20 ms; bounded to 30 s. */
async function ticker(): Promise<ChildProcess> {
  ticks = 0;
  const c = spawn(
    process.execPath,
    ['-e', 'setInterval(() => process.stdout.write("."), 20); setTimeout(() => process.exit(0), 30000)'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  c.stdout.on('data', (d: Buffer) => (ticks += d.length));
  child = c;
  await waitFor(() => ticks > 3, 'the child to tick');
  return c;
}

/** Linux process state letter ('T' = stopped), or null where /proc is unavailable. */
function procState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
  } catch {
    return null;
  }
}

async function expectFrozen(pid: number): Promise<void> {
  if (procState(pid) !== null) await waitFor(() => procState(pid) === 'T', 'the child to be stopped');
  await new Promise((r) => setTimeout(r, 50)); // let output written before the stop arrive
  const frozenAt = ticks;
  await new Promise((r) => setTimeout(r, 300));
  expect(ticks).toBe(frozenAt);
}

async function expectRunning(): Promise<void> {
  const from = ticks;
  await waitFor(() => ticks > from + 3, 'the child to tick again');
}

test('SIGSTOP freezes a process and SIGCONT resumes it', async () => {
  const c = await ticker();
  pauseProcess(c.pid!);
  await expectFrozen(c.pid!);
  resumeProcess(c.pid!);
  await expectRunning();
});

test('withPause pauses for the given time, then resumes', async () => {
  const c = await ticker();
  const started = Date.now();
  const paused = withPause(c.pid!, 500);
  await expectFrozen(c.pid!);
  await paused;
  expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  await expectRunning();
});

test('withPause resumes the process even when the body throws', async () => {
  const c = await ticker();
  const body = async (): Promise<void> => {
    await expectFrozen(c.pid!);
    throw new Error('body failed');
  };
  await expect(withPause(c.pid!, 60_000, body)).rejects.toThrow('body failed');
  await expectRunning();
});

test('withPause returns the body value', async () => {
  const c = await ticker();
  await expect(withPause(c.pid!, 10, () => 42)).resolves.toBe(42);
});

test('a PID that does not exist gives LAB_ERR_NO_PROCESS', async () => {
  const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = c.pid!;
  await collect(c);
  expect(processExists(pid)).toBe(false);
  let caught: unknown;
  try {
    sendSignal(pid, 'SIGKILL');
  } catch (err) {
    caught = err;
  }
  expect(isFaultError(caught, 'LAB_ERR_NO_PROCESS')).toBe(true);
  expect((caught as Error).message).toContain(String(pid));
});

test('group-addressing PIDs (0, negative) are refused', () => {
  expect(() => sendSignal(0, 'SIGTERM')).toThrow(expect.objectContaining({ code: 'LAB_ERR_SIGNAL_FAILED' }));
  expect(() => sendSignal(-1, 'SIGTERM')).toThrow(expect.objectContaining({ code: 'LAB_ERR_SIGNAL_FAILED' }));
});

test('SIGKILL ends a process', async () => {
  const c = await ticker();
  const exited = collect(c);
  sendSignal(c.pid!, 'SIGKILL');
  expect((await exited).signal).toBe('SIGKILL');
});
