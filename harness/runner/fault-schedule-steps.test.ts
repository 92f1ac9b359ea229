// Fault-schedule behaviour that fault-schedule.test.ts left unchecked (found by mutation testing, `npm run mutate`),
// on Jest's clock so no test waits for real time: the marks of each action (pool actions, front reload, SIGSTOP and
// its SIGCONT, startup faults and their heal), which target events an `after:` trigger counts, when an injection
// the worker did not answer still counts as delivered, heals after a re-pick, heal failures, capability messages,
// perform() outside the schedule, and a stop while a step waits for a ready worker.
import { scheduleUnderTest } from './test-support/schedule-under-test';
import { parseScenario } from '../scenarios/load-scenario';
import type { StartedTarget, WorkerInfo } from '../targets/types';
import { labEvent, type LabEvent } from '../events';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

function fakeTarget(container = false) {
  const calls: string[] = [];
  const events: LabEvent[] = [];
  let workers: WorkerInfo[] = [{ pool: 'app', id: 1, pid: 101, state: 'Ready' }];
  const t: StartedTarget = {
    name: 'fake',
    endpoint: { host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1' },
    runtimeDetails: { runtime: container ? 'container' : 'process' },
    stop: async () => undefined,
    kill: async () => undefined,
    recycle: async (pool) => void calls.push(`recycle ${pool}`),
    frontReload: async () => void calls.push('front-reload'),
    startPool: async (pool) => void calls.push(`start ${pool}`),
    stopPool: async (pool) => void calls.push(`stop ${pool}`),
    workers: async () => workers,
    signal: async (pid, sig) => void calls.push(`signal ${pid} ${sig}`),
    injectFault: async (w, spec) => void calls.push(`inject ${w.pid} ${spec.kind}`),
    healFaults: async (w) => void calls.push(`heal ${w.pid}`),
    setStartupFault: async (pool, spec) => void calls.push(`startup ${pool} ${spec ? spec.mode : 'off'}`),
    events: () => events,
  };
  return { t, calls, events, setWorkers: (w: WorkerInfo[]) => (workers = w) };
}

const schedule = scheduleUnderTest;

const tick = (ms = 0) => jest.advanceTimersByTimeAsync(ms);

describe('the marks of each action', () => {
  it('pool actions and a front reload say what they asked of which pool', async () => {
    const { t, calls } = fakeTarget();
    const { s, marks } = schedule(t, [
      { at: 0, action: 'recycle', pool: 'p1' },
      { at: 10, action: 'stop-pool', pool: 'p2' },
      { at: 20, action: 'start-pool', pool: 'p3' },
      { at: 30, action: 'front-reload' },
    ]);
    s.start();
    await tick(100);
    await s.stop();
    expect(calls).toEqual(['recycle p1', 'stop p2', 'start p3', 'front-reload']);
    const actionMarks = marks.filter((m) => m['name'] !== 'fault-plan' && m['name'] !== 'fault-step');
    expect(actionMarks).toEqual([
      { name: 'recycle-requested', pool: 'p1' },
      { name: 'pool-stop-requested', pool: 'p2' },
      { name: 'pool-started', pool: 'p3' },
      { name: 'front-reload-requested' },
      { name: 'front-reloaded' },
    ]);
  });

  it('a signal names its target worker; only SIGSTOP is healed, by SIGCONT after its duration', async () => {
    const { t, calls } = fakeTarget();
    const { s, named } = schedule(t, [
      { at: 0, action: 'signal', signal: 'SIGKILL' },
      { at: 10, action: 'signal', signal: 'SIGSTOP', duration: 500 },
    ]);
    s.start();
    await tick(100);
    expect(named('fault-injected')).toEqual([
      { name: 'fault-injected', fault: 'signal:SIGKILL', signal: 'SIGKILL', targetPid: 101, workerId: 1, pool: 'app' },
      { name: 'fault-injected', fault: 'signal:SIGSTOP', signal: 'SIGSTOP', targetPid: 101, workerId: 1, pool: 'app' },
    ]);
    expect(calls).toEqual(['signal 101 SIGKILL', 'signal 101 SIGSTOP']);
    await tick(409);
    expect(calls).not.toContain('signal 101 SIGCONT');
    await tick(1);
    expect(calls).toEqual(['signal 101 SIGKILL', 'signal 101 SIGSTOP', 'signal 101 SIGCONT']);
    expect(named('fault-healed')).toEqual([{ name: 'fault-healed', fault: 'signal:SIGSTOP', targetPid: 101 }]);
    await s.stop();
    expect(calls.filter((c) => c.endsWith('SIGCONT'))).toHaveLength(1); // healed once
  });

  it('a startup fault is armed, then disarmed at stop; heal-startup-fault disarms at its time', async () => {
    const { t, calls } = fakeTarget();
    const { s, marks, named } = schedule(t, [
      { at: 0, action: 'startup-fault', pool: 'p1', fault: { kind: 'startup', mode: 'crash' } },
      { at: 50, action: 'heal-startup-fault', pool: 'p2' },
    ]);
    s.start();
    await tick(1000);
    expect(calls).toEqual(['startup p1 crash', 'startup p2 off']);
    expect(named('fault-injected')).toEqual([
      { name: 'fault-injected', fault: { kind: 'startup', mode: 'crash', count: 0 }, pool: 'p1' },
    ]);
    expect(named('fault-healed')).toEqual([{ name: 'fault-healed', fault: 'startup', pool: 'p2' }]);
    expect((marks[0]?.['steps'] as unknown[])[0]).toMatchObject({ action: 'startup-fault', fault: 'startup' });
    await s.stop();
    expect(calls).toEqual(['startup p1 crash', 'startup p2 off', 'startup p1 off']);
    expect(named('fault-healed').at(-1)).toEqual({ name: 'fault-healed', fault: 'startup', pool: 'p1' });
  });

  it('a required step carries no optional flag', async () => {
    const { t } = fakeTarget();
    const { s, named } = schedule(t, [{ at: 0, action: 'recycle' }]);
    s.start();
    await tick(10);
    await s.stop();
    expect(named('fault-step')).toHaveLength(1);
    expect(named('fault-step')[0]).not.toHaveProperty('optional');
  });
});

describe('an `after:` trigger', () => {
  const poolStopped = (t: number, pool = 'app') =>
    labEvent('PoolStopped', { t, source: 'w3', pool, reason: 'rapid-fail' });

  it('counts events of its type and pool since the schedule started, and waits for the nth', async () => {
    const { t, calls, events } = fakeTarget();
    events.push(poolStopped(Date.now() - 1)); // before the start: does not count
    const { s } = schedule(t, [{ after: { event: 'PoolStopped', pool: 'app', nth: 2 }, action: 'start-pool' }]);
    s.start();
    events.push(labEvent('PoolStarted', { t: Date.now(), source: 'w3', pool: 'app', reason: 'admin' }));
    events.push(poolStopped(Date.now(), 'other'));
    events.push(poolStopped(Date.now()));
    await tick(200);
    expect(calls).toEqual([]);
    events.push(poolStopped(Date.now()));
    await tick(100);
    expect(calls).toEqual(['start app']);
    await s.stop();
  });

  it('fires its delay after the trigger', async () => {
    const { t, calls, events } = fakeTarget();
    const { s } = schedule(t, [{ after: { event: 'PoolStopped', delay: '1s' }, action: 'start-pool' }]);
    s.start();
    events.push(poolStopped(Date.now()));
    await tick(500);
    expect(calls).toEqual([]);
    await tick(600);
    expect(calls).toEqual(['start app']);
    await s.stop();
  });
});

describe('injections', () => {
  it('a failed injection counts as delivered only on a FaultInjected of that worker after the attempt', async () => {
    const { t, calls, events } = fakeTarget();
    events.push(
      labEvent('FaultInjected', { t: Date.now() - 1000, source: 'w3', pool: 'app', pid: 101, faultKind: 'hang' }),
    );
    t.injectFault = async (w) => {
      calls.push(`inject ${w.pid}`);
      events.push(labEvent('FaultInjected', { t: Date.now(), source: 'w3', pool: 'app', pid: 999, faultKind: 'hang' }));
      throw new Error('409: worker exited');
    };
    const { s, named } = schedule(t, [{ at: 0, action: 'fault', fault: { kind: 'hang', mode: 'block-loop' } }]);
    s.start();
    await tick(1000);
    await s.stop();
    expect(named('fault-step')).toEqual([expect.objectContaining({ status: 'failed', error: '409: worker exited' })]);
  });

  it('a re-picked worker gets its own fault-injected mark and its own heal', async () => {
    const { t, calls, setWorkers } = fakeTarget();
    t.injectFault = async (w) => {
      calls.push(`inject ${w.pid}`);
      if (w.pid === 101) {
        setWorkers([{ pool: 'app', id: 7, pid: 107, state: 'Ready' }]);
        throw new Error('409: worker exited');
      }
    };
    const { s, named } = schedule(t, [{ at: 0, action: 'fault', fault: { kind: 'error' } }]);
    s.start();
    await tick(1000);
    await s.stop();
    expect(named('fault-injected').map((m) => [m['targetPid'], m['workerId']])).toEqual([
      [101, 1],
      [107, 7],
    ]);
    expect(calls.filter((c) => c.startsWith('heal')).sort()).toEqual(['heal 101', 'heal 107']);
    expect(named('fault-healed').map((m) => m['targetPid'])).toEqual(expect.arrayContaining([101, 107]));
  });

  it('a fault step needs healFaults as well: without it, it fails before touching a worker', async () => {
    const { t, calls } = fakeTarget();
    delete t.healFaults;
    const { s } = schedule(t, [{ at: 0, action: 'fault', fault: { kind: 'error' } }]);
    s.start();
    await tick(10);
    await s.stop();
    expect(s.errors).toEqual(['faults[0] (fault): target fake cannot healFaults']);
    expect(calls).toEqual([]);
  });
});

describe('heals and failures', () => {
  it('a timed heal that fails is recorded as an error with its own mark', async () => {
    const { t } = fakeTarget(true);
    t.containerPause = async () => undefined;
    t.containerUnpause = async () => {
      throw new Error('engine gone');
    };
    const { s, named } = schedule(t, [{ at: 0, action: 'container-pause', duration: 100 }]);
    s.start();
    await tick(200);
    expect(s.errors).toEqual(['heal: engine gone']);
    expect(named('fault-error')).toEqual([{ name: 'fault-error', action: 'heal', error: 'engine gone' }]);
    await s.stop();
  });

  it('names a missing capability; the container hint only for container faults off a container', async () => {
    const proc = fakeTarget();
    delete proc.t.stopPool;
    const a = schedule(proc.t, [{ at: 0, action: 'stop-pool' }]);
    a.s.start();
    await tick(10);
    await a.s.stop();
    expect(a.s.errors).toEqual(['faults[0] (stop-pool): target fake cannot stopPool']);
    expect(a.named('fault-error')).toEqual([
      {
        name: 'fault-error',
        step: 0,
        action: 'stop-pool',
        error: 'target fake cannot stopPool',
        code: 'LAB_ERR_CAPABILITY',
      },
    ]);
    expect(a.named('fault-step')[0]).toMatchObject({ status: 'failed', code: 'LAB_ERR_CAPABILITY' });

    const box = fakeTarget(true);
    const b = schedule(box.t, [{ at: 0, action: 'container-restart' }]);
    b.s.start();
    await tick(10);
    await b.s.stop();
    expect(b.s.errors).toEqual(['faults[0] (container-restart): target fake cannot containerRestart']);
  });
});

describe('perform (one step now, outside the schedule)', () => {
  it('performs the step and records it under its label', async () => {
    const { t, calls } = fakeTarget();
    const { s, named } = schedule(t, []);
    const steps = parseScenario(
      {
        name: 'x',
        workload: [{ name: 'l', duration: '1s' }],
        faults: [{ at: 0, action: 'recycle', pool: 'p9' }],
        expect: [{ check: 'noFailedRequests' }],
      },
      't',
    ).faults;
    await s.perform(steps[0]!, 'manual');
    expect(calls).toEqual(['recycle p9']);
    expect(named('fault-step')).toEqual([expect.objectContaining({ step: 'manual', firing: 1, status: 'performed' })]);
  });

  it('throws a failure after recording it, and refuses once the schedule stopped', async () => {
    const { t } = fakeTarget();
    delete t.recycle;
    const { s } = schedule(t, []);
    const [step] = parseScenario(
      {
        name: 'x',
        workload: [{ name: 'l', duration: '1s' }],
        faults: [{ at: 0, action: 'recycle' }],
        expect: [{ check: 'noFailedRequests' }],
      },
      't',
    ).faults;
    await expect(s.perform(step!)).rejects.toThrow('target fake cannot recycle');
    expect(s.errors).toEqual(['fault (recycle): target fake cannot recycle']);
    await s.stop();
    await expect(s.perform(step!)).rejects.toThrow('the fault schedule has stopped');
  });
});

describe('waiting for a ready worker', () => {
  it('a stop ends the wait at once: the step fails instead of holding the stop until readyWaitMs', async () => {
    const { t, setWorkers } = fakeTarget();
    setWorkers([]);
    const { s } = schedule(t, [{ at: 0, action: 'signal' }], 60_000);
    s.start();
    await tick(200);
    let stopped = false;
    void s.stop().then(() => (stopped = true));
    await tick(200);
    expect(stopped).toBe(true);
    expect(s.errors).toEqual(['faults[0] (signal): pool app had no ready worker to select from for 60000 ms']);
  });
});
