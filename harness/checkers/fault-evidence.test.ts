import { describeEvidence, faultEvidence, missingFaults } from './fault-evidence';
import { faultsTookEffect } from './faults-took-effect';
import { RunBuilder } from './test-support/run-builder';

const pool = 'app';

/** A run whose plan has the given steps (each firing once unless `firings` says otherwise). */
function planned(steps: Record<string, unknown>[]): RunBuilder {
  return new RunBuilder(10_000)
    .workerUp(-500, pool, 1, 101)
    .workerUp(-500, pool, 2, 102)
    .mark(0, 'fault-plan', { steps: steps.map((s, i) => ({ step: i, firings: 1, optional: false, ...s })) });
}

const performed = (run: RunBuilder, ms: number, step: number, extra: Record<string, unknown>, pids: number[] = []) =>
  run.mark(ms, 'fault-step', {
    step,
    firing: 1,
    attemptedAt: run.at(ms - 2),
    status: 'performed',
    workers: pids.map((pid) => ({ pid, pool })),
    ...extra,
  });

const statusOf = (run: RunBuilder) => faultEvidence(run.input()).map((e) => e.status);

describe('faultEvidence', () => {
  it("confirms a SIGKILL by the death of that pid and only that pid (review: a typo'd pool passed, 0 crashes)", () => {
    const run = planned([{ action: 'signal', signal: 'SIGKILL', pool }]);
    performed(run, 2_000, 0, { action: 'signal', signal: 'SIGKILL', pool }, [101]);
    run.crash(2_500, pool, 2, 102); // another worker's crash does not confirm it
    expect(statusOf(run)).toEqual(['unconfirmed']);
    run.crash(2_010, pool, 1, 101);
    const [e] = faultEvidence(run.input());
    expect(e).toMatchObject({
      status: 'confirmed',
      detail: 'WorkerCrashed of pid 101',
      confirmedBy: [{ type: 'WorkerCrashed', pid: 101 }],
    });
  });

  it('accepts a confirmation that came while the action was still under way (before its fault-step mark)', () => {
    // The admin call took 500 ms; w3 emitted RecycleStarted 300 ms into it.
    const run = planned([{ action: 'recycle', pool }]);
    run.mark(2_500, 'fault-step', {
      step: 0,
      firing: 1,
      attemptedAt: run.at(2_000),
      status: 'performed',
      action: 'recycle',
      pool,
      workers: [],
    });
    run
      .event(2_300, 'RecycleStarted', { pool, pid: 101, recycleId: 5, reason: 'admin' })
      .event(2_900, 'RecycleCompleted', { pool, recycleId: 5, reason: 'admin' });
    expect(statusOf(run)).toEqual(['confirmed']);
    // ... but not one from well before the request.
    const early = planned([{ action: 'recycle', pool }]);
    early.mark(2_500, 'fault-step', {
      step: 0,
      firing: 1,
      attemptedAt: early.at(2_000),
      status: 'performed',
      action: 'recycle',
      pool,
      workers: [],
    });
    early
      .event(1_900, 'RecycleStarted', { pool, pid: 101, recycleId: 5, reason: 'admin' })
      .event(2_900, 'RecycleCompleted', { pool, recycleId: 5, reason: 'admin' });
    expect(statusOf(early)).toEqual(['unconfirmed']);
  });

  it('does not let one event confirm two firings', () => {
    const run = planned([{ action: 'signal', signal: 'SIGKILL', pool, firings: 2 }]);
    performed(run, 2_000, 0, { action: 'signal', signal: 'SIGKILL', pool }, [101]);
    performed(run, 4_000, 0, { action: 'signal', signal: 'SIGKILL', pool, firing: 2 }, [101]);
    run.crash(2_010, pool, 1, 101);
    expect(statusOf(run)).toEqual(['confirmed', 'unconfirmed']);
  });

  it('confirms an in-worker fault by the target\'s FaultInjected for that worker ("the injected worker")', () => {
    const run = planned([{ action: 'fault', fault: 'hang', pool }]);
    performed(run, 2_000, 0, { action: 'fault', fault: 'hang', pool }, [102]);
    expect(statusOf(run)).toEqual(['unconfirmed']);
    run.event(2_001, 'FaultInjected', { pool, pid: 102, faultKind: 'hang' });
    expect(statusOf(run)).toEqual(['confirmed']);
  });

  it('confirms a recycle by RecycleStarted after the request and its RecycleCompleted; a cancelled one is not', () => {
    const run = planned([{ action: 'recycle', pool }]);
    performed(run, 2_000, 0, { action: 'recycle', pool });
    run.event(1_000, 'RecycleStarted', { pool, pid: 101, recycleId: 1, reason: 'time' }); // before the request
    expect(statusOf(run)).toEqual(['unconfirmed']);
    run.event(2_010, 'RecycleStarted', { pool, pid: 101, recycleId: 2, reason: 'admin' });
    expect(faultEvidence(run.input())[0]).toMatchObject({ status: 'unconfirmed', detail: 'recycle 2 never completed' });
    const cancelled = planned([{ action: 'recycle', pool }]);
    performed(cancelled, 2_000, 0, { action: 'recycle', pool });
    cancelled.event(2_010, 'RecycleStarted', { pool, pid: 101, recycleId: 2, reason: 'admin' });
    cancelled.event(2_300, 'RecycleCompleted', { pool, recycleId: 2, reason: 'admin', cancelled: true });
    expect(statusOf(cancelled)).toEqual(['unconfirmed']);
    run.event(2_400, 'RecycleCompleted', { pool, recycleId: 2, reason: 'admin' });
    expect(statusOf(run)).toEqual(['confirmed']);
  });

  it('confirms pool and startup steps by their pool events', () => {
    const run = planned([
      { action: 'startup-fault', fault: 'startup', pool },
      { action: 'stop-pool', pool },
      { action: 'start-pool', pool },
      { action: 'heal-startup-fault', pool },
    ]);
    performed(run, 1_000, 0, { action: 'startup-fault', fault: 'startup', pool });
    performed(run, 2_000, 1, { action: 'stop-pool', pool });
    performed(run, 3_000, 2, { action: 'start-pool', pool });
    performed(run, 4_000, 3, { action: 'heal-startup-fault', pool });
    expect(statusOf(run)).toEqual(['unconfirmed', 'unconfirmed', 'unconfirmed', 'unconfirmed']);
    run.event(1_001, 'FaultInjected', { pool, faultKind: 'startup' });
    run.event(2_001, 'PoolStopped', { pool, reason: 'admin' });
    run.event(3_001, 'PoolStarted', { pool, reason: 'admin' });
    run.event(4_001, 'FaultHealed', { pool });
    expect(statusOf(run)).toEqual(['confirmed', 'confirmed', 'confirmed', 'confirmed']);
  });

  it('calls a SIGSTOP or a container step performed: no event could show it', () => {
    const run = planned([{ action: 'signal', signal: 'SIGSTOP', pool }, { action: 'container-pause' }]);
    performed(run, 1_000, 0, { action: 'signal', signal: 'SIGSTOP', pool }, [101]);
    performed(run, 2_000, 1, { action: 'container-pause' });
    expect(statusOf(run)).toEqual(['performed', 'performed']);
  });

  it('reports failed firings with their error, and firings that never happened', () => {
    const run = planned([
      { action: 'signal', signal: 'SIGKILL', pool },
      { action: 'recycle', pool, firings: 3 },
      { action: 'start-pool', pool, firings: null },
    ]);
    run.mark(2_000, 'fault-step', {
      step: 0,
      firing: 1,
      action: 'signal',
      status: 'failed',
      error: 'w3 has no pool "nope"',
      workers: [],
    });
    performed(run, 3_000, 1, { action: 'recycle', pool });
    run
      .event(3_010, 'RecycleStarted', { pool, pid: 101, recycleId: 4, reason: 'admin' })
      .event(3_500, 'RecycleCompleted', { pool, recycleId: 4, reason: 'admin' });
    const evidence = faultEvidence(run.input());
    expect(evidence.map(describeEvidence)).toEqual([
      'faults[0] (signal, firing 1): failed — w3 has no pool "nope"',
      'faults[1] (recycle, firing 1): confirmed — RecycleStarted and RecycleCompleted',
      'faults[1] (recycle): not-performed — it fired 1 of 3 times',
      'faults[1] (recycle): not-performed — it fired 1 of 3 times',
      'faults[2] (start-pool): not-performed — its trigger event never came',
    ]);
    expect(missingFaults(evidence)).toHaveLength(4);
  });

  it('does not require optional steps', () => {
    const run = planned([{ action: 'signal', signal: 'SIGKILL', pool, optional: true }]);
    run.mark(2_000, 'fault-step', {
      step: 0,
      firing: 1,
      action: 'signal',
      status: 'failed',
      error: 'x',
      optional: true,
      workers: [],
    });
    expect(missingFaults(faultEvidence(run.input()))).toEqual([]);
    expect(faultsTookEffect.check(run.input(), {})).toMatchObject({
      valid: true,
      summary: expect.stringMatching(/1 optional not taken/),
    });
  });
});

describe('faultsTookEffect', () => {
  it('is valid when every firing took effect, and says how', () => {
    const run = planned([
      { action: 'signal', signal: 'SIGKILL', pool },
      { action: 'signal', signal: 'SIGSTOP', pool },
    ]);
    performed(run, 2_000, 0, { action: 'signal', signal: 'SIGKILL', pool }, [101]).crash(2_003, pool, 1, 101);
    performed(run, 3_000, 1, { action: 'signal', signal: 'SIGSTOP', pool }, [102]);
    const v = faultsTookEffect.check(run.input(), {});
    expect(v).toMatchObject({
      valid: true,
      summary:
        'All 2 required fault firing(s) took effect: ' +
        '1 confirmed by the target, 1 performed (no event could show them).',
    });
  });

  it('is unknown when a firing failed, never fired or was never shown, naming it', () => {
    const run = planned([{ action: 'signal', signal: 'SIGKILL', pool }]);
    performed(run, 2_000, 0, { action: 'signal', signal: 'SIGKILL', pool }, [101]);
    const v = faultsTookEffect.check(run.input(), {});
    expect(v.valid).toBe('unknown');
    expect(v.summary).toBe(
      '1 of 1 fault firing(s) did not take effect: faults[0] (signal, firing 1): ' +
        'unconfirmed — the target never reported the death of pid 101.',
    );
    expect(faultsTookEffect.check(new RunBuilder().input(), {}).valid).toBe('unknown');
  });
});
