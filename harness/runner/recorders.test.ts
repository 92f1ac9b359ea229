// The run's recorders: events.jsonl streamed while the run goes (not written at the end), and memory samples per
// worker from the target's list or /proc.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labEvent, type LabEvent } from '../events';
import type { HistoryRecord } from '../history/types';
import type { StartedTarget, WorkerInfo } from '../targets/types';
import { EventRecorder } from './event-recorder';
import { MemorySampler, procPrivateKB, rssAnonKB } from './memory-sampler';

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

const refTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('EventRecorder: its timer', () => {
  it('never keeps the process alive, runs once however often started, and stops at close', async () => {
    let asked = 0;
    const events: LabEvent[] = [];
    const r = new EventRecorder(path.join(dir, 'timer.jsonl'), () => (asked++, events), 10);
    const timers = refTimers();
    r.start();
    r.start();
    expect(refTimers()).toBe(timers);
    await sleep(100);
    expect(asked).toBeGreaterThan(0);
    r.close(); // a second timer from the second start() would go on asking
    const closedAt = asked;
    await sleep(60);
    expect(asked).toBe(closedAt);
  });

  it('after close, a flush writes nothing and fails nothing; it still returns every event', () => {
    const file = path.join(dir, 'closed.jsonl');
    const events: LabEvent[] = [ready(1, 10)];
    const r = new EventRecorder(file, () => events);
    r.close();
    events.push(ready(2, 11));
    expect(r.flushSync()).toEqual(events);
    expect(lines(file)).toEqual([events[0]]);
  });

  it('a flush with nothing new makes no write (the timer flushes every 100 ms all run long)', () => {
    const events: LabEvent[] = [ready(1, 10)];
    const r = new EventRecorder(path.join(dir, 'quiet.jsonl'), () => events);
    const writes = jest.spyOn(fs, 'writeSync');
    try {
      r.flushSync();
      expect(writes).toHaveBeenCalledTimes(1);
      r.flushSync();
      expect(writes).toHaveBeenCalledTimes(1);
      events.push(ready(2, 11));
      r.flushSync();
      expect(writes).toHaveBeenCalledTimes(2);
    } finally {
      writes.mockRestore();
      r.close();
    }
  });

  it('close releases the file: no descriptor of this process is left open on it', () => {
    const file = path.join(dir, 'released.jsonl');
    const r = new EventRecorder(file, () => []);
    const real = fs.realpathSync(file);
    const openOnIt = (): number =>
      fs.readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`) === real;
        } catch {
          return false; // the descriptor readdir itself used, closed by now
        }
      }).length;
    expect(openOnIt()).toBe(1);
    r.close();
    expect(openOnIt()).toBe(0);
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

  it('samples every interval without keeping the process alive; started twice it still stops at stop()', async () => {
    let asked = 0;
    const t = { ...target([]), workers: async () => (asked++, []) };
    const s = new MemorySampler(t, () => undefined, 10);
    const timers = refTimers();
    s.start();
    s.start();
    expect(refTimers()).toBe(timers);
    await sleep(100);
    expect(asked).toBeGreaterThan(0);
    s.stop();
    const stoppedAt = asked;
    await sleep(60);
    expect(asked).toBe(stoppedAt);
  });

  it('a target without a worker list is not sampled, and gets no timer', async () => {
    const { workers: _none, ...bare } = target([]);
    const out: HistoryRecord[] = [];
    const s = new MemorySampler(bare, (r) => out.push(r), 10);
    const every = jest.spyOn(global, 'setInterval');
    try {
      s.start();
      expect(every).not.toHaveBeenCalled();
    } finally {
      every.mockRestore();
    }
    await s.sample();
    s.stop();
    expect(out).toEqual([]);
  });

  it('one round at a time; a failed round is dropped, and the next one samples again', async () => {
    let release: (w: WorkerInfo[]) => void = () => undefined;
    let calls = 0;
    let fail = false;
    const w: WorkerInfo = { pool: 'app', id: 3, pid: 103, state: 'Ready', privateMemoryKB: 10 };
    const t = {
      ...target([]),
      workers: () => {
        calls++;
        if (fail) return Promise.reject(new Error('target going away'));
        return new Promise<WorkerInfo[]>((res) => (release = res));
      },
    };
    const out: HistoryRecord[] = [];
    const s = new MemorySampler(
      t,
      (r) => out.push(r),
      500,
      () => undefined,
    );
    const first = s.sample();
    await s.sample(); // skipped: the first is still waiting
    expect(calls).toBe(1);
    release([w]);
    await first;
    fail = true;
    await expect(s.sample()).resolves.toBeUndefined();
    fail = false;
    const third = s.sample();
    release([{ pool: 'app', pid: 104, state: 'Ready', privateMemoryKB: 20 } as WorkerInfo]);
    await third;
    expect(calls).toBe(3);
    // Strict: a worker the target gives no id has no workerId key (not one set to undefined).
    expect(out).toStrictEqual([
      {
        kind: 'sample',
        t: expect.any(Number),
        pool: 'app',
        pid: 103,
        workerId: 3,
        privateMemoryKB: 10,
        from: 'target',
      },
      { kind: 'sample', t: expect.any(Number), pool: 'app', pid: 104, privateMemoryKB: 20, from: 'target' },
    ]);
  });

  it('reads private memory of a live local process from /proc', () => {
    expect(procPrivateKB(process.pid)).toBeGreaterThan(1_000);
    expect(procPrivateKB(2 ** 22 + 12_345)).toBeUndefined();
  });

  it('takes the RssAnon line of the status text, whatever the spacing, and nothing else', () => {
    expect(rssAnonKB('Name:\tnode\nXRssAnon:\t 1 kB\nRssAnon:\t   51200 kB\nRssFile: 9 kB\n')).toBe(51_200);
    expect(rssAnonKB('RssAnon: 7 kB')).toBe(7);
    expect(rssAnonKB('Name:\tnode\nRssFile:\t 9 kB\n')).toBeUndefined();
    expect(rssAnonKB('RssAnon:\t12 MB\n')).toBeUndefined();
  });
});
