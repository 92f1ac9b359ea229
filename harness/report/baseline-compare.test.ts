// compare and baseline save, the cases a CI user meets: a crash is "detected" when the manager reports the worker
// crashed (not only by a ping failure); a baseline of another target or runtime is warned about; a run that did not
// pass is refused as a baseline unless forced.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunBuilder } from '../checkers/test-support/run-builder';
import { compare, renderCompareMarkdown } from './compare';
import { detectionLatencies, recycleMetrics } from './compare-metrics';
import { saveBaseline } from './baseline';
import type { LoadedRun } from './run-files';
import { writeSyntheticRun } from './test-support/synthetic-run';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'baseline-compare-'));

function loaded(b: RunBuilder): LoadedRun {
  const input = b.input();
  return {
    dir: '/x',
    info: { scenario: 'worker-crash', target: 'w3' },
    history: input.history,
    events: input.events,
    eventProblems: [],
    results: null,
    summaryMd: null,
    start: input.start,
    end: input.end,
  };
}

test('two SIGKILLs seen as WorkerCrashed are 2/2 faults detected; a slow fault is not a detectable one', () => {
  const b = new RunBuilder(7000);
  b.mark(0, 'workload-start');
  b.mark(2000, 'fault-injected', {
    fault: 'signal:SIGKILL',
    signal: 'SIGKILL',
    targetPid: 100,
    workerId: 1,
    pool: 'app',
  });
  b.crash(2003, 'app', 1, 100);
  b.mark(4500, 'fault-injected', {
    fault: 'signal:SIGKILL',
    signal: 'SIGKILL',
    targetPid: 101,
    workerId: 1,
    pool: 'app',
  });
  b.crash(4508, 'app', 1, 101);
  // A crash of another worker must not count as detecting this one.
  b.mark(5000, 'fault-injected', { fault: { kind: 'crash', mode: 'exit' }, targetPid: 102, workerId: 1, pool: 'app' });
  b.crash(5001, 'app', 2, 999);
  b.mark(6000, 'fault-injected', { fault: { kind: 'slow', delayMs: 100 }, targetPid: 103, workerId: 1, pool: 'app' });
  b.mark(7000, 'workload-end');
  const run = loaded(b);
  expect(detectionLatencies(run)).toEqual([3, 8]);
  expect(recycleMetrics(run).counts).toMatchObject({ faults: 3, detections: 2 });
});

test('a PingFailed does not count as detecting a crash', () => {
  const b = new RunBuilder(3000);
  b.mark(0, 'workload-start');
  b.mark(1000, 'fault-injected', {
    fault: 'signal:SIGKILL',
    signal: 'SIGKILL',
    targetPid: 100,
    workerId: 1,
    pool: 'app',
  });
  b.event(1500, 'PingFailed', { pool: 'app', workerId: 1, pid: 100 });
  b.mark(3000, 'workload-end');
  expect(recycleMetrics(loaded(b)).counts).toMatchObject({ faults: 1, detections: 0 });
});

test('compare warns when the baseline ran against another target', () => {
  const base = writeSyntheticRun(tmp(), { target: 'w3' });
  const run = writeSyntheticRun(tmp(), { target: 'node-cluster' });
  const r = compare(base, run);
  expect(r.warnings).toEqual([
    'overlapped-recycle: the baseline ran against w3 and the run against node-cluster; ' +
      'the numbers compare two different systems',
  ]);
  expect(renderCompareMarkdown(r)).toContain('## Warnings');
  expect(compare(base, base).warnings).toEqual([]);
});

test('baseline save refuses a failed run unless forced', () => {
  const results = tmp();
  writeSyntheticRun(path.join(results, 'suite', 'overlapped-recycle'), { degraded: true });
  writeSyntheticRun(path.join(results, 'suite', 'steady-state'), { scenario: 'steady-state' });
  const baselines = path.join(tmp(), 'b');
  expect(() => saveBaseline('ci', results, baselines)).toThrow(
    /not saved: overlapped-recycle \(FAIL\) did not pass.*--force/,
  );
  expect(fs.existsSync(path.join(baselines, 'ci'))).toBe(false);
  const saved = saveBaseline('ci', results, baselines, { force: true });
  expect(saved.scenarios.map((s) => s.scenario)).toEqual(['overlapped-recycle', 'steady-state']);
});
