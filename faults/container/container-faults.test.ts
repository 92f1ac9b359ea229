// Container faults against a real w3 container (Docker started by scripts/ensure-docker.sh; the file skips itself
// with the reason when no engine can run here): pause hangs the whole target and the heal always runs, restart
// comes back on a new port, a signal reaches one process inside, a memory quota makes the kernel OOM-kill a
// leaking worker that w3 then replaces, and SIGTERM through the init stops the server gracefully.
import path from 'node:path';
import { ensureImage, W3_IMAGE } from '../../harness/runtimes/image-build';
import { removeLabContainers } from '../../harness/runtimes/container-runtime';
import { startW3Container, toContainerPath, type StartedW3Container } from '../../harness/runtimes/w3-container';
import { describeWithDocker, testRunId } from '../../harness/runtimes/test-support/docker-tests';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import {
  killContainer,
  pauseContainer,
  restartContainer,
  signalProcessInContainer,
  withContainerPaused,
} from './container-faults';
import { oomKillEvent, oomKillWorker, parseEventLine, readOomCounters } from './oom-kill';

type Pools = Array<{ name: string; workers: Array<{ id: number; pid: number; state: string }> }>;

async function get(url: string, timeoutMs = 5000): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await res.text();
  return res.status;
}

describeWithDocker('container faults (w3 in a container with a memory quota)', () => {
  const runId = testRunId('cf');
  const token = 'cf-token';
  let w3: StartedW3Container;

  beforeAll(async () => {
    const { tag } = await ensureImage(W3_IMAGE);
    w3 = await startW3Container({
      image: tag,
      runId,
      memoryLimitGiB: 0.25,
      faultInjection: { enabled: true, token },
      config: {
        pools: [
          {
            name: 'app',
            startMode: 'AlwaysRunning',
            processModel: { maxProcesses: 2 },
            failure: { rapidFailProtectionMaxCrashes: 100 },
          },
        ],
        applications: [
          { path: '/', pool: 'app', module: toContainerPath(path.join(repoRoot(), 'targets/apps/hello.js')) },
        ],
      },
    });
  }, 300_000);

  afterAll(async () => {
    await w3?.container.stop({ timeoutMs: 5000 });
    await removeLabContainers(runId);
  }, 60_000);

  const workers = async (): Promise<Pools[number]['workers']> =>
    (await w3.admin.request<Pools>('GET', '/pools'))[0]!.workers.filter((w) => w.state === 'Ready');

  /** Polls the admin API until `n` workers are Ready or the deadline passes; answers the last count seen. */
  async function readyWorkersWithin(n: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let ready = (await workers()).length;
    while (ready < n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      ready = (await workers()).length;
    }
    return ready;
  }

  test('pause hangs the whole target; unpause heals it', async () => {
    expect(await get(`${w3.url()}/`)).toBe(200);
    const paused = await pauseContainer(w3.container);
    try {
      expect((await w3.container.state()).paused).toBe(true);
      await expect(get(`${w3.url()}/`, 1000)).rejects.toThrow(/abort|timeout/i);
    } finally {
      await paused.heal();
    }
    await paused.heal(); // idempotent
    expect((await w3.container.state()).paused).toBe(false);
    expect(await get(`${w3.url()}/`)).toBe(200);
  }, 30_000);

  test('withContainerPaused heals even when the body throws', async () => {
    await expect(
      withContainerPaused(w3.container, 10_000, () => {
        throw new Error('body failed');
      }),
    ).rejects.toThrow('body failed');
    expect((await w3.container.state()).paused).toBe(false);
  });

  test('a signal reaches one worker inside the container; w3 replaces it', async () => {
    const [victim] = await workers();
    const from = w3.container.logLines().length;
    expect(await signalProcessInContainer(w3.container, victim!.pid, 'SIGKILL')).toBe(true);
    await w3.container.waitForLogLine(
      (l) => parseEventLine(l)?.type === 'WorkerCrashed' && parseEventLine(l)?.pid === victim!.pid,
      { fromIndex: from },
    );
    await w3.container.waitForLogLine((l) => parseEventLine(l)?.type === 'WorkerReady', { fromIndex: from });
    expect(await signalProcessInContainer(w3.container, 99_999, 'SIGKILL')).toBe(false);
  }, 30_000);

  test('a memory quota makes the kernel OOM-kill a leaking worker; w3 notices and replaces it', async () => {
    const before = await readOomCounters(w3.container);
    const [victim] = await workers();
    const obs = await oomKillWorker(w3.container, {
      workerPid: victim!.pid,
      injectLeak: async () => {
        await w3.admin.request('POST', `/pools/app/workers/${victim!.id}/faults`, {
          kind: 'leak',
          rateKBps: 128 * 1024,
          capKB: 1024 * 1024,
          space: 'offheap',
        });
      },
      timeoutMs: 60_000,
    });
    expect(obs.kernelOomKill).toBe(true);
    expect(obs.crashed.signal).toBe('SIGKILL');
    expect(obs.countersAfter.oomKill).toBeGreaterThan(before.oomKill);
    expect(obs.replacement.pid).not.toBe(victim!.pid);
    expect(obs.containerRunning).toBe(true);
    expect(obs.containerOomKilled).toBe(false); // Docker's flag is about the main process only
    expect(oomKillEvent(obs)).toMatchObject({ type: 'WorkerOomKilled', pid: victim!.pid, signal: 'SIGKILL' });
    expect(await get(`${w3.url()}/`)).toBe(200);
  }, 120_000);

  test('restart comes back ready on a new mapped port', async () => {
    const r = await restartContainer(w3.container, { timeoutMs: 5000 });
    expect(r.port).toBe(w3.container.port());
    expect(await get(`${w3.url()}/`)).toBe(200);
    // The first ready worker answers the request above; the garden's second may still be starting.
    expect(await readyWorkersWithin(2, 30_000)).toBe(2);
  }, 60_000);

  test('SIGTERM through the init stops w3 gracefully; a second kill is harmless', async () => {
    const from = w3.container.logLines().length;
    const { state } = await killContainer(w3.container, 'SIGTERM', { waitForExitMs: 30_000 });
    expect(state!.running).toBe(false);
    expect(
      w3.container
        .logLines()
        .slice(from)
        .some((l) => parseEventLine(l)?.type === 'HostStopping'),
    ).toBe(true);
    await killContainer(w3.container, 'SIGKILL');
  }, 60_000);
});
