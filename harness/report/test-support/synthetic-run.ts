// Test support for the report tests: writes a small but complete run folder (run.json, history.jsonl,
// events.jsonl, results.json, summary.md) of an overlapped-recycle scenario — three recycles at 2, 4 and 6 s and
// a SIGSTOP at 7 s under steady keep-alive load. `degraded` models disallowOverlappingRotation: the old worker
// exits before the replacement is ready, requests queue in the gap, a few fail, a socket is closed by the server.
import fs from 'node:fs';
import path from 'node:path';
import { RunBuilder, T0 } from '../../checkers/test-support/run-builder';
import { runChecks, combine } from '../../checkers';
import { computeStats } from '../../results/stats';
import { renderSummary } from '../../results/summary';

export interface SyntheticOptions {
  degraded?: boolean;
  scenario?: string;
  target?: string;
  /** Extra text put into a check summary and the description (escaping tests). */
  nasty?: string;
}

export const SYNTHETIC_EXPECT = [
  { check: 'connectionsSurvive', options: {} },
  { check: 'noFailedRequests', options: {} },
  { check: 'overlappedRecycleCompletes', options: { minRecycles: 3 } },
];

export const RECYCLE_AT = [2000, 4000, 6000];

export function syntheticRun(o: SyntheticOptions = {}): RunBuilder {
  const b = new RunBuilder(8000);
  const degraded = o.degraded === true;
  b.mark(0, 'workload-start').mark(0, 'phase-start', { phase: 'load' });
  b.workerUp(-500, 'app', 1, 100);
  // Gaps in service: requests written in [gapFrom, gapTo) wait until gapTo (queued), the first three fail.
  const gaps: { from: number; to: number }[] = [];
  let oldPid = 100;
  RECYCLE_AT.forEach((at, i) => {
    const id = i + 1;
    const newPid = 101 + i;
    b.mark(at - 2, 'recycle-requested', { pool: 'app' });
    b.event(at, 'RecycleStarted', {
      pool: 'app',
      workerId: 1,
      pid: oldPid,
      recycleId: id,
      reason: 'admin',
      overlapped: !degraded,
    });
    if (!degraded) {
      b.event(at + 5, 'WorkerStarting', { pool: 'app', workerId: 1, pid: newPid, recycleId: id });
      b.event(at + 250, 'WorkerReady', { pool: 'app', workerId: 1, pid: newPid, recycleId: id, startupMs: 245 });
      b.event(at + 250, 'WorkerDraining', { pool: 'app', workerId: 1, pid: oldPid, reason: 'recycle' });
      b.event(at + 300, 'WorkerExited', { pool: 'app', workerId: 1, pid: oldPid, reason: 'recycle' });
      b.event(at + 300, 'RecycleCompleted', {
        pool: 'app',
        recycleId: id,
        reason: 'admin',
        oldPid,
        newPid,
        overlapped: true,
        durationMs: 300,
        readyMs: 250,
        oldExitMs: 300,
      });
    } else {
      b.event(at, 'WorkerDraining', { pool: 'app', workerId: 1, pid: oldPid, reason: 'recycle' });
      b.event(at + 100, 'WorkerExited', { pool: 'app', workerId: 1, pid: oldPid, reason: 'recycle' });
      b.event(at + 105, 'WorkerStarting', { pool: 'app', workerId: 1, pid: newPid, recycleId: id });
      b.event(at + 700, 'WorkerReady', { pool: 'app', workerId: 1, pid: newPid, recycleId: id, startupMs: 595 });
      b.event(at + 700, 'RecycleCompleted', {
        pool: 'app',
        recycleId: id,
        reason: 'admin',
        oldPid,
        newPid,
        overlapped: false,
        durationMs: 700,
        readyMs: 700,
        oldExitMs: null,
      });
      gaps.push({ from: at + 100, to: at + 700 });
    }
    oldPid = newPid;
  });
  // A SIGSTOP of the current worker at 7 s, detected by a ping failure, healed (SIGCONT) at 7.6 s.
  b.mark(7000, 'fault-injected', {
    fault: 'signal:SIGSTOP',
    signal: 'SIGSTOP',
    targetPid: oldPid,
    workerId: 1,
    pool: 'app',
  });
  b.event(degraded ? 7900 : 7400, 'PingFailed', { pool: 'app', workerId: 1, pid: oldPid });
  b.mark(7600, 'fault-healed', { fault: 'signal:SIGSTOP', targetPid: oldPid });
  // Four keep-alive connections.
  for (let conn = 1; conn <= 4; conn++) {
    let failedInGap = new Set<number>();
    // Closed loop like the tracked client: the next request goes out when the last one is answered (every 20 ms).
    for (let ms = conn * 2; ms < 8000;) {
      const gap = gaps.find((g) => ms >= g.from && ms < g.to);
      if (gap && conn === 1 && !failedInGap.has(gap.from)) {
        failedInGap = new Set([...failedInGap, gap.from]);
        b.request(ms, { conn, outcome: 'info', status: undefined, error: 'reset', latencyMs: 3 });
        ms += 20;
        continue;
      }
      const latencyMs = gap ? gap.to - ms + 5 : 5 + (ms % 7);
      b.request(ms, { conn, latencyMs, workerPid: 100 + RECYCLE_AT.filter((r) => r + 250 <= ms).length });
      ms += Math.max(20, latencyMs + 1);
    }
    const serverClosed = degraded && conn === 2;
    b.socket(conn, {
      closeKind: serverClosed ? 'server-fin' : 'client',
      requests: 400,
      ...(serverClosed ? { closed: b.at(2150) } : {}),
    });
  }
  // The lab's memory samples every 500 ms: each worker grows from 40 MB until its replacement takes over.
  for (let ms = 0; ms < 8000; ms += 500) {
    const recycled = RECYCLE_AT.filter((r) => r + 250 <= ms);
    const since = ms - (recycled.length ? recycled[recycled.length - 1]! : -500);
    b.history.push({
      kind: 'sample',
      t: b.at(ms),
      pool: 'app',
      pid: 100 + recycled.length,
      workerId: 1,
      privateMemoryKB: 40_960 + since * 10,
      from: 'target',
    });
  }
  b.mark(8000, 'phase-end', { phase: 'load' }).mark(8000, 'workload-end');
  return b;
}

/** Writes the run folder `dir` (created) and returns it. */
export function writeSyntheticRun(dir: string, o: SyntheticOptions = {}): string {
  const b = syntheticRun(o);
  const scenario = o.scenario ?? 'overlapped-recycle';
  const target = o.target ?? 'w3';
  const description = `Synthetic ${o.degraded ? 'degraded ' : ''}run${o.nasty ? ` ${o.nasty}` : ''}`;
  fs.mkdirSync(dir, { recursive: true });
  const info = {
    runId: `${scenario}-synthetic`,
    scenario,
    description,
    target,
    runtime: 'process',
    seed: 42,
    startedAt: new Date(T0 - 1000).toISOString(),
    status: 'finished',
    versions: { node: process.version, w3lab: '0.1.0', git: 'abc123def456' },
    scenarioFile: 'synthetic.yaml',
    scenarioConfig: { name: scenario, description, target, expect: SYNTHETIC_EXPECT },
  };
  const input = b.input();
  const checks = runChecks(
    input,
    SYNTHETIC_EXPECT.map((e) => ({ name: e.check, options: e.options })),
  );
  if (o.nasty && checks[0])
    checks[0] = {
      ...checks[0],
      verdict: { ...checks[0].verdict, summary: `${checks[0].verdict.summary} ${o.nasty}`, details: { note: o.nasty } },
    };
  const verdict = combine(checks);
  const stats = computeStats(input.history, input.events, input.start, input.end);
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...info, valid: verdict.valid }, null, 2));
  fs.writeFileSync(path.join(dir, 'history.jsonl'), input.history.map((r) => JSON.stringify(r) + '\n').join(''));
  fs.writeFileSync(path.join(dir, 'events.jsonl'), input.events.map((e) => JSON.stringify(e) + '\n').join(''));
  fs.writeFileSync(
    path.join(dir, 'results.json'),
    JSON.stringify(
      { valid: verdict.valid, summary: verdict.summary, checks, stats, faultErrors: [], error: null },
      null,
      2,
    ),
  );
  fs.writeFileSync(
    path.join(dir, 'summary.md'),
    renderSummary({
      scenario,
      description,
      target,
      runtime: 'process',
      seed: 42,
      dir,
      verdict,
      checks,
      stats,
      faultErrors: [],
    }),
  );
  return dir;
}
