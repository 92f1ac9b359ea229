// Tests of EventProcess against a fake host (test-support/fixtures/stubborn-host.js) that ignores SIGTERM and has
// a worker that ignores it too: the escalation to SIGKILL and the cleanup of workers are what is tested.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EventProcess } from './event-process';
import { stillAlive } from './test-support/context';

const HOST = path.join(__dirname, 'test-support', 'fixtures', 'stubborn-host.js');
/** A Node start on a loaded 2-core machine can take seconds: the deadline is not what these tests are about. */
const START_MS = 20_000;

describe('EventProcess', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-evproc-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const start = (env: NodeJS.ProcessEnv = {}) =>
    new EventProcess({
      name: 'fake',
      args: [HOST],
      cwd: dir,
      env: { ...process.env, ...env },
      logFile: path.join(dir, 'fake.log'),
      log: pino({ level: 'silent' }),
    });

  it('collects event lines only (split writes included) and knows its workers', async () => {
    const p = start();
    try {
      const started = await p.waitForEvent((e) => e.type === 'HostStarted', START_MS, 'HostStarted');
      expect(started['listen']).toEqual({ host: '127.0.0.1', port: 1 });
      const types = p.events().map((e) => e.type);
      expect(types).toEqual(['WorkerStarting', 'HostStarted']);
      const workerPid = p.events()[0]!['pid'] as number;
      expect(p.owns(workerPid)).toBe(true);
      expect(p.owns(p.pid)).toBe(true);
      expect(p.owns(1)).toBe(false);
    } finally {
      await p.kill();
    }
  });

  it('stop() escalates to SIGKILL after the grace period and kills the worker the host left behind', async () => {
    const p = start();
    await p.waitForEvent((e) => e.type === 'HostStarted', START_MS, 'HostStarted');
    const pids = [p.pid, p.events()[0]!['pid'] as number];
    const t0 = Date.now();
    await Promise.all([p.stop(300), p.stop(300)]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(p.running()).toBe(false);
    expect(await stillAlive(pids)).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'fake.log'), 'utf8')).toContain('plain text line');
  });

  it('kill() cuts a stop() short', async () => {
    const p = start();
    await p.waitForEvent((e) => e.type === 'HostStarted', START_MS, 'HostStarted');
    const pids = [p.pid, p.events()[0]!['pid'] as number];
    const t0 = Date.now();
    const stopping = p.stop(30_000);
    await p.kill();
    await stopping;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await stillAlive(pids)).toEqual([]);
  });

  it('a wait fails with LAB_ERR_TARGET_START and the output tail when the process exits first', async () => {
    const p = start({ FAIL_EARLY: '1' });
    try {
      await expect(p.waitForEvent((e) => e.type === 'HostStarted', START_MS, 'HostStarted')).rejects.toMatchObject({
        code: 'LAB_ERR_TARGET_START',
        message: expect.stringMatching(/exited \(code 3\)[\s\S]*fatal: cannot start/),
      });
    } finally {
      await p.kill();
    }
  });

  it('a wait fails on its deadline', async () => {
    const p = start();
    try {
      await expect(p.waitForEvent((e) => e.type === 'PoolStopped', 100, 'PoolStopped')).rejects.toThrow(
        /no PoolStopped within 100 ms/,
      );
    } finally {
      await p.kill();
    }
  });
});
