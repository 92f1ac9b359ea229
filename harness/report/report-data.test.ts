import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunBuilder } from '../checkers/test-support/run-builder';
import type { RequestRecord } from '../history/types';
import { bucketSizeFor, buildReportData, eventLines, memorySeries, timeline, workersAlive } from './report-data';
import { loadRun, workloadWindow } from './run-files';
import { faultWindows, recycleWindows, unionLength } from './windows';
import { recycleRows } from './recycle-rows';
import { writeSyntheticRun } from './test-support/synthetic-run';

const requestsOf = (b: RunBuilder): RequestRecord[] =>
  b.history.filter((r): r is RequestRecord => r.kind === 'request');

describe('bucketSizeFor', () => {
  it('uses 250 ms buckets up to a minute and nice larger sizes after', () => {
    expect(bucketSizeFor(8_000)).toBe(250);
    expect(bucketSizeFor(60_000)).toBe(250);
    expect(bucketSizeFor(120_000)).toBe(500);
    expect(bucketSizeFor(600_000)).toBe(2000);
    expect(bucketSizeFor(3_600_000)).toBe(30_000);
  });
});

describe('timeline', () => {
  it('counts outcomes per bucket by end time as rates, and latency percentiles of ok requests by start time', () => {
    const b = new RunBuilder(1000)
      .request(10, { latencyMs: 10 })
      .request(20, { latencyMs: 30 })
      .request(100, { latencyMs: 200 }) // ends at 300: second bucket for throughput, first for latency
      .request(600, { outcome: 'fail', status: 503, latencyMs: 2 })
      .request(700, { outcome: 'info', status: undefined, error: 'reset', latencyMs: 1 })
      .request(710, { outcome: 'info', status: undefined, error: 'timeout', latencyMs: 250 });
    const tl = timeline(requestsOf(b), b.start, 1000);
    expect(tl.bucketMs).toBe(250);
    expect(tl.x).toEqual([0.125, 0.375, 0.625, 0.875]);
    expect(tl.ok).toEqual([8, 4, 0, 0]); // 2 and 1 requests per 250 ms
    expect(tl.fail).toEqual([0, 0, 4, 0]);
    expect(tl.info).toEqual([0, 0, 4, 4]);
    expect(tl.p50).toEqual([30, null, null, null]);
    expect(tl.max).toEqual([200, null, null, null]);
    expect(tl.failures).toEqual([
      { kind: 'HTTP 503', counts: [0, 0, 1, 0] },
      { kind: 'reset', counts: [0, 0, 1, 0] },
      { kind: 'timeout', counts: [0, 0, 0, 1] },
    ]);
  });
});

describe('workersAlive', () => {
  it('counts a worker from ready to exit, per pool, including workers ready before the workload started', () => {
    const b = new RunBuilder(3000)
      .workerUp(-400, 'app', 1, 10)
      .workerUp(-400, 'other', 1, 20)
      .workerUp(1000, 'app', 2, 11, 200) // ready at 1.2 s
      .event(1500, 'WorkerExited', { pool: 'app', workerId: 1, pid: 10, reason: 'recycle' })
      .crash(2000, 'other', 1, 20)
      // a second exit record changes nothing:
      .event(2100, 'WorkerExited', { pool: 'other', workerId: 1, pid: 20, reason: 'recycle' });
    const w = workersAlive(b.events, b.start, 3000);
    expect(w.x).toEqual([0, 1.2, 1.5, 2, 2.1, 3]);
    expect(w.pools).toEqual([
      { pool: 'app', alive: [1, 2, 1, 1, 1, 1] },
      { pool: 'other', alive: [1, 1, 1, 0, 0, 0] },
    ]);
  });
});

describe('windows', () => {
  it('pairs faults with their heal by pid, makes signals instants and gives unhealed faults a default width', () => {
    const b = new RunBuilder(10_000)
      .mark(1000, 'fault-injected', { fault: { kind: 'hang' }, targetPid: 5, pool: 'app' })
      .mark(1500, 'fault-injected', { fault: 'signal:SIGKILL', targetPid: 6 })
      .mark(2000, 'fault-injected', { fault: 'signal:SIGSTOP', targetPid: 7 })
      .mark(2500, 'fault-healed', { fault: 'signal:SIGSTOP', targetPid: 7 })
      .mark(3000, 'fault-healed', { fault: 'hang', targetPid: 5 })
      .mark(9500, 'fault-injected', { fault: { kind: 'leak' }, targetPid: 8 });
    const w = faultWindows(b.history, b.at(10_000)).map((x) => [
      x.label,
      x.from - b.start,
      x.to - b.start,
      x.instant,
      x.open,
    ]);
    expect(w).toEqual([
      ['hang', 1000, 3000, false, false],
      ['signal:SIGKILL', 1500, 1500, true, false],
      ['signal:SIGSTOP', 2000, 2500, false, false],
      ['leak', 9500, 10_000, false, true], // default 1 s width, clipped at the run end
    ]);
  });

  it('ends a worker fault when its process exits before the heal', () => {
    const b = new RunBuilder(10_000)
      .mark(1000, 'fault-injected', { fault: { kind: 'hang' }, targetPid: 5, pool: 'app' })
      .event(1600, 'WorkerExited', { pool: 'app', pid: 5, reason: 'recycle' })
      .mark(9000, 'fault-healed', { fault: 'hang', targetPid: 5 });
    const [w] = faultWindows(b.history, b.at(10_000), b.events);
    expect([w!.label, w!.from - b.start, w!.to - b.start]).toEqual(['hang (until the worker exited)', 1000, 1600]);
  });

  it('closes recycle windows at RecycleCompleted or RecycleOverlapFailed and measures their union', () => {
    const b = new RunBuilder(10_000)
      .event(1000, 'RecycleStarted', { pool: 'app', recycleId: 1, reason: 'time', pid: 1 })
      .event(1200, 'RecycleStarted', { pool: 'app', recycleId: 2, reason: 'time', pid: 2 })
      .event(1400, 'RecycleCompleted', { pool: 'app', recycleId: 1, reason: 'time' })
      .event(1600, 'RecycleOverlapFailed', { pool: 'app', recycleId: 2, reason: 'time', pid: 2 })
      .event(9000, 'RecycleStarted', { pool: 'app', recycleId: 3, reason: 'memory', pid: 3 });
    const w = recycleWindows(b.events, b.at(10_000));
    expect(w.map((x) => [x.from - b.start, x.to - b.start, x.open, x.label])).toEqual([
      [1000, 1400, false, 'recycle #1 time'],
      [1200, 1600, false, 'recycle #2 time (overlap failed)'],
      [9000, 10_000, true, 'recycle #3 memory'],
    ]);
    expect(unionLength(w)).toBe(600 + 1000);
  });
});

describe('recycle rows', () => {
  it('gives overlap, drain and the requests of an overlapped recycle', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-data-'));
    const run = loadRun(writeSyntheticRun(dir));
    const rows = recycleRows(run.history, run.events, run.start, run.end);
    expect(rows).toHaveLength(3);
    const r = rows[0]!;
    expect(r).toMatchObject({
      recycleId: 1,
      reason: 'admin',
      overlapped: true,
      oldPid: 100,
      newPid: 101,
      startMs: 2000,
      newStartingMs: 2005,
      newReadyMs: 2250,
      oldExitMs: 2300,
    });
    expect(r).toMatchObject({ durationMs: 300, overlapMs: 295, drainMs: 50, failures: 0, outcome: 'completed' });
    // 4 connections × one request per 20 ms over the 300 ms window, both ends included.
    expect(r.requests).toBe(60);
  });

  it('shows the gap of a non-overlapped recycle as a negative drain and counts its failures', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-data-'));
    const run = loadRun(writeSyntheticRun(dir, { degraded: true }));
    const r = recycleRows(run.history, run.events, run.start, run.end)[1]!;
    expect(r).toMatchObject({
      recycleId: 2,
      overlapped: false,
      startMs: 4000,
      newStartingMs: 4105,
      newReadyMs: 4700,
      oldExitMs: 4100,
      durationMs: 700,
    });
    expect(r.overlapMs).toBe(0);
    expect(r.drainMs).toBe(-600);
    expect(r.failures).toBe(1);
  });
});

describe('eventLines', () => {
  it('labels notable events and marks, and merges bursts of the same event', () => {
    const b = new RunBuilder(5000)
      .crash(1000, 'app', 3, 3)
      .event(2000, 'QueueFull', { pool: 'app' })
      .event(2100, 'QueueFull', { pool: 'app' })
      .event(2200, 'QueueFull', { pool: 'app' })
      .event(3000, 'PoolStopped', { pool: 'app', reason: 'rapid-fail' })
      .event(3500, 'WorkerReady', { pool: 'app', pid: 4 })
      .mark(500, 'recycle-requested', { pool: 'app' });
    const lines = eventLines(
      b.events,
      b.history.filter((r) => r.kind === 'mark'),
      b.start,
      5000,
    );
    expect(lines.map((l) => [l.t, l.kind, l.label])).toEqual([
      [0.5, 'admin', 'recycle-requested'],
      [1, 'crash', 'WorkerCrashed'],
      [2, 'pool', 'QueueFull ×3'],
      [3, 'pool', 'PoolStopped (rapid-fail)'],
    ]);
    expect(lines[1]!.detail).toContain('pid=3');
  });
});

describe('buildReportData', () => {
  it('brings the run together: meta, windows in seconds, checks and stats', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-data-'));
    const d = buildReportData(loadRun(writeSyntheticRun(dir)));
    expect(d.meta).toMatchObject({
      scenario: 'overlapped-recycle',
      target: 'w3',
      seed: 42,
      git: 'abc123def456',
      valid: true,
    });
    expect(d.durationS).toBeCloseTo(8.0, 1);
    expect(d.windows.filter((w) => w.kind === 'recycle').map((w) => [w.from, w.to])).toEqual([
      [2, 2.3],
      [4, 4.3],
      [6, 6.3],
    ]);
    expect(d.windows.find((w) => w.kind === 'fault')).toMatchObject({ from: 7, to: 7.6, instant: false });
    expect(d.checks.map((c) => c.name)).toEqual([
      'connectionsSurvive',
      'noFailedRequests',
      'overlappedRecycleCompletes',
    ]);
    expect(d.lines.some((l) => l.label === 'PingFailed')).toBe(true);
    expect(d.stats?.recycles.count).toBe(3);
    // One memory line per worker, read back from history.jsonl: four workers over three recycles.
    expect(d.memory.workers.map((w) => w.label)).toEqual(['app pid 100', 'app pid 101', 'app pid 102', 'app pid 103']);
    expect(d.memory.x).toHaveLength(16);
  });

  it('falls back to the recorded extent when the run has no workload marks', () => {
    const b = new RunBuilder(1000).request(100, { latencyMs: 50 }).request(400, { latencyMs: 500 });
    expect(workloadWindow(b.history, 0)).toEqual({ start: b.at(100), end: b.at(900) });
  });
});

describe('memorySeries', () => {
  it("gives one line per worker in MB at the lab's sample times, with its peak", () => {
    const b = new RunBuilder(3000);
    const sample = (ms: number, pid: number, kb: number) =>
      b.history.push({
        kind: 'sample',
        t: b.at(ms),
        pool: 'app',
        pid,
        workerId: pid - 100,
        privateMemoryKB: kb,
        from: 'target',
      });
    sample(500, 101, 51_200);
    sample(1000, 101, 102_400);
    sample(1000, 102, 40_960);
    sample(1500, 102, 45_000);
    const m = memorySeries(b.history, b.start);
    expect(m.x).toEqual([0.5, 1, 1.5]);
    expect(m.workers).toEqual([
      { label: 'app pid 101', pool: 'app', pid: 101, mb: [50, 100, null], peakMb: 100 },
      { label: 'app pid 102', pool: 'app', pid: 102, mb: [null, 40, 43.9], peakMb: 43.9 },
    ]);
    expect(memorySeries([], b.start)).toEqual({ x: [], workers: [] });
  });
});
