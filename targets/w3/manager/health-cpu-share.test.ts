// The CPU share a web garden's dispatch reads (WorkerProcess.cpuShare, dispatch-policy.ts keepsUp): the health tick
// samples each ready worker's CPU time with its memory and sets the share of one CPU used between two samples. A
// single-worker pool does not read it (nothing to choose between), and a failed read changes nothing.
jest.mock('./worker-process', () => jest.requireActual('./test-support/fake-worker'));
jest.mock('./memory-sampler', () => ({ sampleMemory: async () => null, sampleCpuMs: jest.fn(async () => null) }));

import { sampleCpuMs } from './memory-sampler';
import { PoolHarness } from './test-support/pool-harness';

const cpu = sampleCpuMs as jest.MockedFunction<typeof sampleCpuMs>;

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
  cpu.mockReset();
});
afterEach(() => jest.useRealTimers());

/** Worker pid → CPU ms it has used, read by the mocked sampler. */
function cpuTimes(times: Map<number, number | null>): void {
  cpu.mockImplementation(async (pid: number) => times.get(pid) ?? null);
}

it('a garden worker gets the share of a CPU it used between two samples', async () => {
  const h = new PoolHarness({
    startMode: 'AlwaysRunning',
    processModel: { maxProcesses: 2, webGardenDispatch: 'pack' },
  }).bootReady();
  const [w1, w2] = [h.worker(0), h.worker(1)];
  const times = new Map<number, number | null>([
    [w1.pid, 100],
    [w2.pid, 50],
  ]);
  cpuTimes(times);
  await jest.advanceTimersByTimeAsync(1000); // first tick: the first samples
  expect([w1.cpuShare, w2.cpuShare]).toEqual([null, null]);
  times.set(w1.pid, 100 + 800);
  times.set(w2.pid, 50 + 100);
  await jest.advanceTimersByTimeAsync(1000);
  expect([w1.cpuShare, w2.cpuShare]).toEqual([0.8, 0.1]);
  times.set(w1.pid, null); // a read that failed (the worker exiting): the last share stays
  times.set(w2.pid, 150);
  await jest.advanceTimersByTimeAsync(1000);
  expect([w1.cpuShare, w2.cpuShare]).toEqual([0.8, 0]);
});

it('a single-worker pool does not read CPU time for dispatch', async () => {
  const h = new PoolHarness({ startMode: 'AlwaysRunning' }).bootReady();
  cpuTimes(new Map([[h.worker(0).pid, 100]]));
  await jest.advanceTimersByTimeAsync(3000);
  expect(cpu).not.toHaveBeenCalled();
  expect(h.worker(0).cpuShare).toBeNull();
});
