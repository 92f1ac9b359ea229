// The run's recorders: events.jsonl streamed while the run goes (not written at the end), and memory samples per
// worker from the target's list or /proc.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labEvent, type LabEvent } from '../events';
import type { HistoryRecord } from '../history/types';
import type { StartedTarget, WorkerInfo } from '../targets/types';
import { EventRecorder } from './event-recorder';
import { MemorySampler, procPrivateKB } from './memory-sampler';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-recorders-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const ready = (t: number, pid: number): LabEvent => labEvent('WorkerReady', { t, source: 'w3', pool: 'app', pid });
const lines = (file: string): unknown[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);

describe('EventRecorder', () => {
  it('appends events as they come, once each: a killed run keeps what came before (review: kept to end)', async () => {
    const file = path.join(dir, 'events.jsonl');
    const events: LabEvent[] = [ready(1, 10)];
    const r = new EventRecorder(file, () => events, 20);
    r.start();
    const until = async (n: number): Promise<void> => {
      const end = Date.now() + 5_000;
      while (lines(file).length < n) {
        if (Date.now() > end) throw new Error(`only ${lines(file).length} lines`);
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    await until(1);
    events.push(ready(2, 11), ready(3, 12));
    await until(3);
    expect(lines(file)).toEqual(events);
    events.push(ready(4, 13));
    expect(r.close()).toHaveLength(4);
    expect(lines(file)).toHaveLength(4);
    expect(r.close()).toHaveLength(4); // idempotent, writes nothing twice
    expect(lines(file)).toHaveLength(4);
  });
});

describe('MemorySampler', () => {
  const target = (workers: WorkerInfo[], runtime = 'process'): StartedTarget => ({
    name: 't',
    endpoint: { host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1' },
    runtimeDetails: { runtime },
    stop: async () => undefined,
    kill: async () => undefined,
    workers: async () => workers,
  });

  it('records the memory the target reports per worker, else reads /proc on this machine', async () => {
    const out: HistoryRecord[] = [];
    const workers: WorkerInfo[] = [
      { pool: 'app', id: 1, pid: 101, state: 'Ready', privateMemoryKB: 51_200 },
      { pool: 'app', id: 2, pid: 102, state: 'Ready' },
    ];
    await new MemorySampler(
      target(workers),
      (r) => out.push(r),
      500,
      (pid) => (pid === 102 ? 7_000 : undefined),
    ).sample();
    expect(out).toEqual([
      expect.objectContaining({
        kind: 'sample',
        pool: 'app',
        pid: 101,
        workerId: 1,
        privateMemoryKB: 51_200,
        from: 'target',
      }),
      expect.objectContaining({
        kind: 'sample',
        pool: 'app',
        pid: 102,
        workerId: 2,
        privateMemoryKB: 7_000,
        from: 'proc',
      }),
    ]);
    // In a container the pids are the container's: no /proc reading.
    const inContainer: HistoryRecord[] = [];
    await new MemorySampler(
      target(workers, 'container'),
      (r) => inContainer.push(r),
      500,
      () => 1,
    ).sample();
    expect(inContainer.map((r) => (r as { pid: number }).pid)).toEqual([101]);
  });

  it('reads private memory of a live local process from /proc', () => {
    expect(procPrivateKB(process.pid)).toBeGreaterThan(1_000);
    expect(procPrivateKB(2 ** 22 + 12_345)).toBeUndefined();
  });
});
