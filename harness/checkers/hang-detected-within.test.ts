import { hangDetectedWithin } from './hang-detected-within';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';
const hang = { fault: { kind: 'hang', mode: 'block-loop' }, targetPid: 101, workerId: 1, pool };

/** Worker 1 (pid 101) hangs at 5 s (w3 confirms the injection); worker 2 (pid 102) is a healthy sibling. */
function hungRun(durationMs = 60_000): RunBuilder {
  return new RunBuilder(durationMs)
    .workerUp(0, pool, 1, 101)
    .workerUp(0, pool, 2, 102)
    .mark(5_000, 'fault-injected', hang)
    .event(5_002, 'FaultInjected', { pool, pid: 101, faultKind: 'hang' });
}

describe('hangDetectedWithin', () => {
  it('is valid when the ping fails within the budget, and reports the replacement', () => {
    const run = hungRun()
      .event(8_000, 'PingFailed', { pool, workerId: 1, pid: 101 })
      .event(8_010, 'WorkerKilled', { pool, workerId: 1, pid: 101, reason: 'ping' })
      .workerUp(8_020, pool, 3, 103);
    const v = hangDetectedWithin.check(run.input(), { withinMs: 4_000 });
    expect(v.valid).toBe(true);
    expect(v.details).toMatchObject({
      detectionMs: 3_000,
      detection: { type: 'PingFailed', pid: 101 },
      workerGone: { type: 'WorkerKilled' },
      replacementReadyMs: 3_320,
    });
  });

  it('takes a confirmation and a detection at the very millisecond of the mark', () => {
    const run = new RunBuilder()
      .mark(4_000, 'fault-injected', { ...hang, targetPid: 100 }) // its worker died first: never confirmed
      .mark(5_000, 'fault-injected', hang)
      .event(5_000, 'FaultInjected', { pool, pid: 101, faultKind: 'hang' })
      .event(5_000, 'RequestStalled', { pool, workerId: 1, pid: 101 });
    expect(hangDetectedWithin.check(run.input(), { withinMs: 1 })).toMatchObject({
      valid: true,
      details: { markAt: 5_000, targetPid: 101, detectionMs: 0 },
    });
  });

  it('does not take the exit of a worker killed before the fault for a detection of the hang', () => {
    // w3 killed it for a ping failure just before the hang went in; it exits (reason ping) after the mark.
    const run = hungRun()
      .event(4_990, 'WorkerKilled', { pool, workerId: 1, pid: 101, reason: 'ping' })
      .event(5_010, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'ping', exitCode: null, signal: 'SIGKILL' });
    expect(hangDetectedWithin.check(run.input(), { withinMs: 2_000 })).toMatchObject({
      valid: false,
      summary: 'The hung worker was never detected within the run; it ended with WorkerExited instead.',
    });
  });

  it('reports a replacement ready at the very moment the hung worker went, and not one of another pool', () => {
    const run = hungRun()
      .event(6_000, 'WorkerReady', { pool: 'other', workerId: 1, pid: 201 })
      .event(6_000, 'WorkerKilled', { pool, workerId: 1, pid: 101, reason: 'ping' })
      .event(6_000, 'WorkerReady', { pool, workerId: 3, pid: 103 });
    expect(hangDetectedWithin.check(run.input(), { withinMs: 2_000 }).details).toMatchObject({
      detectionMs: 1_000,
      replacementReadyMs: 1_000,
    });
  });

  it('accepts the progress watchdog (RequestStalled) or a kill for a stall as detection', () => {
    const stalled = hungRun().event(6_000, 'RequestStalled', { pool, workerId: 1, pid: 101 });
    expect(hangDetectedWithin.check(stalled.input(), { withinMs: 2_000 }).valid).toBe(true);
    const killed = hungRun().event(6_000, 'WorkerKilled', { pool, workerId: 1, pid: 101, reason: 'stalled' });
    expect(hangDetectedWithin.check(killed.input(), { withinMs: 2_000 }).valid).toBe(true);
    // A kill for another reason is not a detection of the hang.
    const cpu = hungRun().event(6_000, 'WorkerKilled', { pool, workerId: 1, pid: 101, reason: 'cpu-limit' });
    expect(hangDetectedWithin.check(cpu.input(), { withinMs: 2_000 }).valid).toBe(false);
  });

  it('is false when detection took longer than the budget', () => {
    const run = hungRun().event(125_000, 'PingFailed', { pool, workerId: 1, pid: 101 });
    const v = hangDetectedWithin.check(run.input(), { withinMs: 10_000 });
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/only after 120000 ms/);
  });

  it('is false when the hung worker is never detected (a ping failure of another worker does not count)', () => {
    const run = hungRun().event(7_000, 'PingFailed', { pool, workerId: 2, pid: 102 });
    expect(hangDetectedWithin.check(run.input(), { withinMs: 10_000 }).valid).toBe(false);
    // Detected by worker id when the mark has no PID.
    const byId = new RunBuilder()
      .mark(1_000, 'fault-injected', { fault: 'hang', workerId: 1, pool })
      .event(1_001, 'FaultInjected', { pool, workerId: 1, pid: 555, faultKind: 'hang' })
      .event(2_000, 'PingFailed', { pool, workerId: 1, pid: 555 });
    expect(hangDetectedWithin.check(byId.input(), { withinMs: 2_000 }).valid).toBe(true);
  });

  it('picks the mark by fault kind and by name', () => {
    const run = hungRun()
      .mark(1_000, 'fault-injected', { fault: { kind: 'slow' }, targetPid: 102 })
      .event(1_001, 'FaultInjected', { pool, pid: 102, faultKind: 'slow' })
      .mark(5_000, 'hang-start', { targetPid: 101 })
      .event(6_000, 'PingFailed', { pool, pid: 101 });
    expect(hangDetectedWithin.check(run.input(), { withinMs: 2_000 }).valid).toBe(false);
    expect(hangDetectedWithin.check(run.input(), { withinMs: 2_000, faultKind: 'hang' }).valid).toBe(true);
    expect(hangDetectedWithin.check(run.input(), { withinMs: 2_000, after: 'hang-start' }).valid).toBe(true);
  });

  it('is unknown if the target never confirmed the injection (review: failed injection + ping failure passed)', () => {
    const run = new RunBuilder()
      .workerUp(0, pool, 1, 101)
      .mark(5_000, 'fault-injected', hang)
      .event(6_000, 'PingFailed', { pool, workerId: 1, pid: 101 });
    const v = hangDetectedWithin.check(run.input(), { withinMs: 2_000 });
    expect(v.valid).toBe('unknown');
    expect(v.summary).toMatch(/never confirmed the injection/);
  });

  it('is unknown without a fault mark, without a target, or when the run ended before the budget', () => {
    expect(hangDetectedWithin.check(new RunBuilder().input(), { withinMs: 1_000 }).valid).toBe('unknown');
    const noTarget = new RunBuilder().mark(1_000, 'fault-injected', { fault: 'hang' });
    expect(hangDetectedWithin.check(noTarget.input(), { withinMs: 1_000 }).valid).toBe('unknown');
    const short = hangDetectedWithin.check(hungRun(10_000).input(), { withinMs: 120_000 });
    expect(short.valid).toBe('unknown');
    expect(short.summary).toMatch(/ended 5000 ms after the fault/);
  });

  it('accepts a detection exactly at the budget, and a kill for a failed ping alone', () => {
    const run = hungRun().event(7_000, 'WorkerKilled', { pool, workerId: 1, pid: 101, reason: 'ping' });
    const v = hangDetectedWithin.check(run.input(), { withinMs: 2_000 });
    expect(v.summary).toBe('The hung worker was detected (WorkerKilled) 2000 ms after the fault.');
    expect(hangDetectedWithin.check(run.input(), { withinMs: 1_999 }).summary).toBe(
      'The hung worker was detected only after 2000 ms (budget 1999 ms).',
    );
  });

  it('judges "never detected" once the run lasted the budget, and names how the worker ended instead', () => {
    const exact = hangDetectedWithin.check(hungRun(7_000).input(), { withinMs: 2_000 });
    expect(exact.summary).toBe('The hung worker was never detected within the run.');
    expect(hangDetectedWithin.check(hungRun(6_999).input(), { withinMs: 2_000 }).summary).toBe(
      'The run ended 1999 ms after the fault, before the 2000 ms budget.',
    );
    const crashed = hungRun().crash(9_000, pool, 1, 101).workerUp(9_000, pool, 3, 103);
    const v = hangDetectedWithin.check(crashed.input(), { withinMs: 2_000 });
    expect(v.summary).toBe('The hung worker was never detected within the run; it ended with WorkerCrashed instead.');
    expect(v.details).toMatchObject({
      markAt: 5_000,
      targetPid: 101,
      workerId: 1,
      withinMs: 2_000,
      detection: null,
      detectionMs: null,
      workerGone: { at: 9_000, type: 'WorkerCrashed', pid: 101 },
      replacementReadyMs: 4_300,
    });
  });

  it('only counts events about the target from the mark on', () => {
    const run = hungRun().event(4_999, 'PingFailed', { pool, workerId: 1, pid: 101 });
    expect(hangDetectedWithin.check(run.input(), { withinMs: 2_000 }).valid).toBe(false);
    // Same worker id in another pool: not the hung worker.
    const byId = new RunBuilder()
      .mark(1_000, 'fault-injected', { fault: 'hang', workerId: 1, pool })
      .event(1_001, 'FaultInjected', { pool, workerId: 1, pid: 555, faultKind: 'hang' })
      .event(2_000, 'PingFailed', { pool: 'other', workerId: 1, pid: 777 });
    expect(hangDetectedWithin.check(byId.input(), { withinMs: 2_000 }).valid).toBe(false);
    // Another worker id of the same pool: not the hung worker either.
    const sibling = new RunBuilder()
      .mark(1_000, 'fault-injected', { fault: 'hang', workerId: 1, pool })
      .event(1_001, 'FaultInjected', { pool, workerId: 1, pid: 555, faultKind: 'hang' })
      .event(2_000, 'PingFailed', { pool, workerId: 2, pid: 556 });
    expect(hangDetectedWithin.check(sibling.input(), { withinMs: 2_000 }).valid).toBe(false);
    const noPool = new RunBuilder()
      .mark(1_000, 'hang-start', { workerId: 1 })
      .event(2_000, 'PingFailed', { pool: 'other', workerId: 1, pid: 777 });
    expect(hangDetectedWithin.check(noPool.input(), { withinMs: 2_000, after: 'hang-start' }).valid).toBe(true);
    // A pool that is not a name does not narrow the worker id.
    const oddPool = new RunBuilder()
      .mark(1_000, 'hang-start', { workerId: 1, pool: 7 })
      .event(2_000, 'PingFailed', { pool: 'other', workerId: 1, pid: 777 });
    expect(hangDetectedWithin.check(oddPool.input(), { withinMs: 2_000, after: 'hang-start' }).valid).toBe(true);
  });

  it("finds the worker by the mark's pid field too, and needs no confirmation for a signal", () => {
    const run = new RunBuilder()
      .mark(1_000, 'fault-injected', { fault: 'signal:SIGSTOP', pid: 101 })
      .event(2_000, 'PingFailed', { pool, pid: 101 });
    expect(hangDetectedWithin.check(run.input(), { withinMs: 2_000 })).toMatchObject({
      valid: true,
      details: { targetPid: null, workerId: null },
    });
  });

  it('prefers the mark the target confirmed over an earlier one whose worker died first', () => {
    const run = hungRun();
    run.history.unshift({ kind: 'mark', t: run.at(4_000), name: 'fault-injected', ...hang, targetPid: 100 });
    run.event(6_000, 'PingFailed', { pool, workerId: 1, pid: 101 });
    const v = hangDetectedWithin.check(run.input(), { withinMs: 2_000 });
    expect(v).toMatchObject({ valid: true, details: { targetPid: 101, markAt: 5_000 } });
    // A confirmation from before the mark does not confirm it.
    const stale = new RunBuilder()
      .event(3_000, 'FaultInjected', { pool, pid: 100, faultKind: 'hang' })
      .mark(4_000, 'fault-injected', { ...hang, targetPid: 100 })
      .mark(5_000, 'fault-injected', hang)
      .event(5_002, 'FaultInjected', { pool, pid: 101, faultKind: 'hang' })
      .event(6_000, 'PingFailed', { pool, pid: 101 });
    expect(hangDetectedWithin.check(stale.input(), { withinMs: 2_000 }).details['targetPid']).toBe(101);
  });

  it('says which mark it looked for and why it cannot judge', () => {
    expect(hangDetectedWithin.check(new RunBuilder().input(), { withinMs: 1_000, faultKind: 'hang' }).summary).toBe(
      'No "fault-injected" mark with fault hang: no hang was injected.',
    );
    expect(hangDetectedWithin.check(new RunBuilder().input(), { withinMs: 1_000 }).summary).toBe(
      'No "fault-injected" mark: no hang was injected.',
    );
    const noTarget = new RunBuilder().mark(1_000, 'fault-injected', { fault: 'hang' });
    expect(hangDetectedWithin.check(noTarget.input(), { withinMs: 1_000 })).toStrictEqual({
      valid: 'unknown',
      summary: 'The "fault-injected" mark names no worker (targetPid/workerId).',
      details: { markAt: 1_000, targetPid: null, workerId: null, withinMs: 1_000 },
    });
  });
});
