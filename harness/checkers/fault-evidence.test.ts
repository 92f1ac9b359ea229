import { describeEvidence, faultEvidence, missingFaults, type StepEvidence, type StepStatus } from './fault-evidence';
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
      summary: 'All 0 required fault firing(s) took effect: 0 confirmed by the target, 1 optional not taken.',
    });
  });
});

describe('faultEvidence: what confirms each action', () => {
  it('takes a confirming event from SLACK (50 ms) before the attempt on, the earliest one first', () => {
    const run = planned([{ action: 'signal', signal: 'SIGTERM', pool }]);
    performed(run, 2_000, 0, { action: 'signal', signal: 'SIGTERM', pool }, [101]); // attempted at 1 998
    run.event(2_100, 'WorkerKilled', { pool, workerId: 1, pid: 101, reason: 'shutdown-timeout' });
    run.event(1_948, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'recycle' });
    expect(faultEvidence(run.input())[0]).toMatchObject({ status: 'confirmed', detail: 'WorkerExited of pid 101' });
    const tooEarly = planned([{ action: 'signal', signal: 'SIGTERM', pool }]);
    performed(tooEarly, 2_000, 0, { action: 'signal', signal: 'SIGTERM', pool }, [101]);
    tooEarly.event(1_947, 'WorkerExited', { pool, workerId: 1, pid: 101, reason: 'recycle' });
    expect(statusOf(tooEarly)).toEqual(['unconfirmed']);
  });

  it('needs the death of every worker a signal hit, and a kernel OOM kill counts as one', () => {
    const run = planned([{ action: 'signal', signal: 'SIGKILL', pool }]);
    performed(run, 2_000, 0, { action: 'signal', signal: 'SIGKILL', pool }, [101, 102]);
    run.event(2_010, 'WorkerOomKilled', { pool, pid: 102 }, 'lab');
    expect(faultEvidence(run.input())[0]).toMatchObject({
      status: 'unconfirmed',
      detail: 'the target never reported the death of pid 101',
      confirmedBy: [{ type: 'WorkerOomKilled', pid: 102, at: 2_010 }],
    });
    run.crash(2_020, pool, 1, 101);
    expect(faultEvidence(run.input())[0]).toMatchObject({
      status: 'confirmed',
      detail: 'WorkerCrashed of pid 101, WorkerOomKilled of pid 102',
    });
  });

  it('says a step that hit no worker is unconfirmed, and names the fault a worker never confirmed', () => {
    const run = planned([
      { action: 'signal', signal: 'SIGKILL', pool },
      { action: 'fault', fault: 'leak', pool },
    ]);
    performed(run, 1_000, 0, { action: 'signal', signal: 'SIGKILL', pool });
    performed(run, 2_000, 1, { action: 'fault', fault: 'leak', pool }, [101]);
    expect(faultEvidence(run.input()).map((e) => e.detail)).toEqual([
      'it hit no worker',
      'the target never reported the leak fault of pid 101',
    ]);
    const stop = planned([{ action: 'signal', signal: 'SIGSTOP', pool }]);
    performed(stop, 1_000, 0, { action: 'signal', signal: 'SIGSTOP', pool }, [101]);
    expect(faultEvidence(stop.input())[0]?.detail).toBe('SIGSTOP delivered (no event can show it)');
  });

  it("confirms a recycle only by its pool's recycle and that recycle's own completion", () => {
    const run = planned([{ action: 'recycle', pool }]);
    performed(run, 2_000, 0, { action: 'recycle', pool });
    run.event(2_010, 'RecycleStarted', { pool: 'other', pid: 201, recycleId: 2, reason: 'admin' });
    run.event(2_020, 'RecycleCompleted', { pool: 'other', recycleId: 2, reason: 'admin' });
    expect(faultEvidence(run.input())[0]?.detail).toBe('no recycle of pool app started after the request');
    run.event(2_030, 'RecycleStarted', { pool, pid: 101, recycleId: 3, reason: 'admin' });
    run.event(2_040, 'RecycleCompleted', { pool, recycleId: 2, reason: 'admin' });
    run.event(2_025, 'RecycleCompleted', { pool, recycleId: 3, reason: 'admin' }); // before it started
    expect(faultEvidence(run.input())[0]?.detail).toBe('recycle 3 never completed');
    run.event(2_030, 'RecycleCompleted', { pool, recycleId: 3, reason: 'admin', cancelled: false });
    expect(faultEvidence(run.input())[0]).toMatchObject({
      status: 'confirmed',
      confirmedBy: [
        { type: 'RecycleStarted', recycleId: 3 },
        { type: 'RecycleCompleted', recycleId: 3 },
      ],
    });
    const anyPool = planned([{ action: 'recycle' }]);
    performed(anyPool, 2_000, 0, { action: 'recycle' });
    anyPool.event(2_010, 'RecycleStarted', { pool: 'other', pid: 201, recycleId: 2, reason: 'admin' });
    anyPool.event(2_020, 'RecycleCompleted', { pool: 'other', recycleId: 2, reason: 'admin', cancelled: true });
    expect(faultEvidence(anyPool.input())[0]).toMatchObject({
      status: 'unconfirmed',
      detail: 'the recycle was cancelled',
      confirmedBy: [{ type: 'RecycleStarted' }, { type: 'RecycleCompleted', cancelled: true }],
    });
  });

  it("confirms pool steps by that pool's events, and a startup fault only by one not aimed at a worker", () => {
    const run = planned([
      { action: 'startup-fault', fault: 'startup', pool },
      { action: 'stop-pool', pool },
    ]);
    performed(run, 1_000, 0, { action: 'startup-fault', fault: 'startup', pool });
    performed(run, 2_000, 1, { action: 'stop-pool', pool });
    run.event(1_001, 'FaultInjected', { pool, pid: 101, faultKind: 'hang' });
    run.event(2_001, 'PoolStopped', { pool: 'other', reason: 'admin' });
    expect(faultEvidence(run.input()).map((e) => e.detail)).toEqual([
      'no FaultInjected of pool app followed',
      'no PoolStopped of pool app followed',
    ]);
    run.event(2_002, 'PoolStopped', { pool, reason: 'admin' });
    expect(faultEvidence(run.input())[1]?.detail).toBe('PoolStopped of pool app');
    const anyPool = planned([{ action: 'stop-pool' }]);
    performed(anyPool, 2_000, 0, { action: 'stop-pool' });
    anyPool.event(2_001, 'PoolStopped', { pool: 'other', reason: 'admin' });
    expect(faultEvidence(anyPool.input())[0]?.detail).toBe('PoolStopped of pool other');
  });

  it('confirms a front reload by ConfigReloaded', () => {
    const run = planned([{ action: 'front-reload' }]);
    performed(run, 2_000, 0, { action: 'front-reload' });
    expect(faultEvidence(run.input())[0]).toMatchObject({
      status: 'unconfirmed',
      detail: 'no ConfigReloaded followed',
    });
    run.event(2_100, 'ConfigReloaded', {});
    expect(faultEvidence(run.input())[0]).toMatchObject({
      status: 'confirmed',
      detail: 'ConfigReloaded',
      confirmedBy: [{ type: 'ConfigReloaded', at: 2_100 }],
    });
  });

  it("confirms an OOM step by the lab's proof of a kernel kill of every worker it hit", () => {
    const oom = (marks: Record<string, unknown>[], pids = [101]) => {
      const run = planned([{ action: 'oom', pool }]);
      performed(run, 2_000, 0, { action: 'oom', pool }, pids);
      for (const m of marks) run.mark(Number(m['ms']), 'oom-killed', m);
      return faultEvidence(run.input())[0];
    };
    expect(oom([{ ms: 3_000, targetPid: 101, kernelOomKill: true }])).toMatchObject({
      status: 'confirmed',
      detail: 'the kernel OOM-killed pid 101',
    });
    expect(oom([{ ms: 1_948, targetPid: 101 }])?.status).toBe('confirmed');
    expect(oom([{ ms: 1_947, targetPid: 101 }])).toMatchObject({
      status: 'unconfirmed',
      detail: 'no proof that the kernel OOM-killed the worker',
    });
    expect(oom([{ ms: 3_000, targetPid: 101, kernelOomKill: false }])?.status).toBe('unconfirmed');
    expect(oom([{ ms: 3_000, targetPid: 102 }])?.status).toBe('unconfirmed');
    expect(oom([{ ms: 3_000, targetPid: 101 }], [101, 102])?.status).toBe('unconfirmed');
    expect(oom([], [])?.status).toBe('unconfirmed');
  });
});

describe('faultEvidence: what a firing says', () => {
  it("does not take another pool's completion with the same recycle id", () => {
    const run = planned([{ action: 'recycle', pool }]);
    performed(run, 2_000, 0, { action: 'recycle', pool });
    run.event(2_010, 'RecycleStarted', { pool, pid: 101, recycleId: 3, reason: 'admin' });
    run.event(2_020, 'RecycleCompleted', { pool: 'other', recycleId: 3, reason: 'admin' });
    expect(faultEvidence(run.input())[0]).toMatchObject({
      status: 'unconfirmed',
      detail: 'recycle 3 never completed',
      confirmedBy: [{ type: 'RecycleStarted', recycleId: 3 }],
    });
  });

  it('names every pid whose death was never reported, and lists nothing as confirming when nothing did', () => {
    const run = planned([{ action: 'signal', signal: 'SIGKILL', pool }]);
    performed(run, 2_000, 0, { action: 'signal', signal: 'SIGKILL', pool }, [101, 102]);
    expect(faultEvidence(run.input())).toStrictEqual([
      {
        step: 0,
        action: 'signal',
        firing: 1,
        optional: false,
        status: 'unconfirmed',
        at: 1_998,
        detail: 'the target never reported the death of pid 101, 102',
      },
    ]);
  });

  it('does not let one event confirm two firings close in time', () => {
    const run = planned([{ action: 'recycle', pool, firings: 2 }]);
    performed(run, 2_000, 0, { action: 'recycle', pool });
    performed(run, 2_020, 0, { action: 'recycle', pool, firing: 2 });
    run.event(2_030, 'RecycleStarted', { pool, pid: 101, recycleId: 5, reason: 'admin' });
    run.event(2_500, 'RecycleCompleted', { pool, recycleId: 5, reason: 'admin' });
    expect(faultEvidence(run.input()).map((e) => [e.status, e.detail])).toEqual([
      ['confirmed', 'RecycleStarted and RecycleCompleted'],
      ['unconfirmed', 'no recycle of pool app started after the request'],
    ]);
  });

  it('confirms a pool step by a pool-level event only, names it, and a reload only by ConfigReloaded', () => {
    const run = planned([{ action: 'heal-startup-fault', pool }, { action: 'front-reload' }, { action: 'start-pool' }]);
    performed(run, 1_000, 0, { action: 'heal-startup-fault', pool });
    performed(run, 2_000, 1, { action: 'front-reload' });
    run.event(1_001, 'FaultHealed', { pool, pid: 101 }); // a worker's fault healed: not the startup fault
    run.event(2_001, 'WorkerReady', { pool, workerId: 3, pid: 103 });
    expect(faultEvidence(run.input()).map((e) => [e.status, e.detail])).toEqual([
      ['unconfirmed', 'no FaultHealed of pool app followed'],
      ['unconfirmed', 'no ConfigReloaded followed'],
      ['not-performed', 'it fired 0 of 1 times'],
    ]);
    run.event(1_002, 'FaultHealed', { pool });
    performed(run, 3_000, 2, { action: 'start-pool' });
    run.event(3_001, 'PoolStarted', { pool, reason: 'admin' });
    const [healed, , started] = faultEvidence(run.input());
    expect(healed).toMatchObject({ status: 'confirmed', confirmedBy: [{ type: 'FaultHealed', at: 1_002 }] });
    expect(started).toStrictEqual({
      step: 2,
      action: 'start-pool',
      firing: 1,
      optional: false,
      status: 'confirmed',
      at: 2_998,
      detail: 'PoolStarted of pool app',
      confirmedBy: [{ at: 3_001, type: 'PoolStarted', pool, reason: 'admin' }],
    });
  });

  it('says what a container step and a step without a worker list did', () => {
    const run = planned([{ action: 'container-pause' }, { action: 'signal', signal: 'SIGKILL', pool }]);
    performed(run, 1_000, 0, { action: 'container-pause' });
    performed(run, 2_000, 1, { action: 'signal', signal: 'SIGKILL', pool, workers: 'none' });
    expect(faultEvidence(run.input()).map((e) => [e.status, e.detail])).toEqual([
      ['performed', 'the container engine carried it out'],
      ['unconfirmed', 'it hit no worker'],
    ]);
  });

  it('names every worker the kernel OOM-killed', () => {
    const run = planned([{ action: 'oom', pool }]);
    performed(run, 2_000, 0, { action: 'oom', pool }, [101, 102]);
    run.mark(2_500, 'oom-killed', { targetPid: 102, kernelOomKill: true });
    run.mark(2_600, 'oom-killed', { targetPid: 101, kernelOomKill: true });
    expect(faultEvidence(run.input())[0]).toStrictEqual({
      step: 0,
      action: 'oom',
      firing: 1,
      optional: false,
      status: 'confirmed',
      at: 1_998,
      detail: 'the kernel OOM-killed pid 101, 102',
    });
  });
});

describe('faultEvidence: reading the marks', () => {
  it('reads a firing: its step label, firing number, time, optional flag and error', () => {
    const run = new RunBuilder(10_000);
    run.mark(1_000, 'fault-step', { step: 'api-kill', action: 'signal', signal: 'SIGKILL', status: 'failed' });
    run.mark(2_000, 'fault-step', {
      step: 3,
      firing: 2,
      attemptedAt: run.at(1_500),
      action: 'signal',
      status: 'failed',
      error: { code: 'E', n: 1 },
      optional: true,
    });
    expect(faultEvidence(run.input())).toStrictEqual([
      {
        step: 'api-kill',
        action: 'signal',
        firing: 1,
        optional: false,
        status: 'failed',
        at: 1_000,
        detail: 'failed',
      },
      {
        step: 3,
        action: 'signal',
        firing: 2,
        optional: true,
        status: 'failed',
        at: 1_500,
        detail: '{"code":"E","n":1}',
      },
    ]);
    expect(describeEvidence(faultEvidence(run.input())[0]!)).toBe('api-kill (signal, firing 1): failed — failed');
  });

  it('uses the mark time when the attempt time is missing, and the pool only when it is a name', () => {
    const run = new RunBuilder(10_000);
    run.mark(2_000, 'fault-step', { step: 0, action: 'stop-pool', status: 'performed', pool: 7, workers: 'x' });
    run.event(1_960, 'PoolStopped', { pool: 'other', reason: 'admin' });
    expect(faultEvidence(run.input())[0]).toMatchObject({ status: 'confirmed', at: 2_000 });
    const late = new RunBuilder(10_000);
    late.mark(2_000, 'fault-step', { step: 0, action: 'stop-pool', status: 'performed' });
    late.event(1_949, 'PoolStopped', { pool: 'other', reason: 'admin' });
    expect(faultEvidence(late.input())[0]).toMatchObject({ status: 'unconfirmed' });
    expect(faultEvidence(late.input())[0]).not.toHaveProperty('confirmedBy');
  });

  it('counts the planned firings per step, a step that fired enough is complete, a plan without steps is empty', () => {
    const run = new RunBuilder(10_000).mark(0, 'fault-plan', {
      steps: [
        { step: 0, action: 'signal', firings: 2, optional: true },
        { step: 1, action: 'container-pause', firings: 1 },
      ],
    });
    performed(run, 1_000, 1, { action: 'container-pause' });
    performed(run, 2_000, 1, { action: 'container-pause', firing: 2 });
    const evidence = faultEvidence(run.input());
    expect(evidence.map((e) => [e.step, e.status, e.firing, e.optional])).toEqual([
      [1, 'performed', 1, false],
      [1, 'performed', 2, false],
      [0, 'not-performed', null, true],
      [0, 'not-performed', null, true],
    ]);
    expect(evidence[2]?.detail).toBe('it fired 0 of 2 times');
    expect(missingFaults(evidence)).toEqual([]);
    expect(faultEvidence(new RunBuilder().mark(0, 'fault-plan', { steps: 'none' }).input())).toEqual([]);
    expect(faultEvidence(new RunBuilder().mark(0, 'fault-plan', {}).input())).toEqual([]);
  });

  it('misses only required firings that failed, never came or were never shown', () => {
    const e = (status: StepStatus, optional = false): StepEvidence => ({
      step: 0,
      action: 'signal',
      firing: 1,
      optional,
      status,
      at: 0,
      detail: '',
    });
    const all: StepStatus[] = ['confirmed', 'performed', 'unconfirmed', 'failed', 'not-performed'];
    expect(missingFaults(all.map((s) => e(s))).map((x) => x.status)).toEqual([
      'unconfirmed',
      'failed',
      'not-performed',
    ]);
    expect(missingFaults(all.map((s) => e(s, true)))).toEqual([]);
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

  it('names at most five missing firings, and says how many of the required ones took effect', () => {
    const run = planned([{ action: 'recycle', pool, firings: 7 }]);
    const v = faultsTookEffect.check(run.input(), {});
    expect(v.summary).toBe(
      '7 of 7 fault firing(s) did not take effect: ' +
        Array.from({ length: 5 }, () => 'faults[0] (recycle): not-performed — it fired 0 of 7 times').join('; ') +
        '.',
    );
    expect(v.details).toMatchObject({ firings: 7, byStatus: { 'not-performed': 7 } });
    const one = planned([{ action: 'signal', signal: 'SIGKILL', pool }]);
    performed(one, 2_000, 0, { action: 'signal', signal: 'SIGKILL', pool }, [101]).crash(2_003, pool, 1, 101);
    expect(faultsTookEffect.check(one.input(), {}).summary).toBe(
      'All 1 required fault firing(s) took effect: 1 confirmed by the target.',
    );
    expect(faultsTookEffect.check(new RunBuilder().input(), {}).summary).toBe(
      'No fault step was planned or performed in this run.',
    );
  });
});
