// Fault-schedule details the other schedule tests left open (found by mutation testing, `npm run mutate`), on Jest's
// clock: the exact fields of plan, step and error marks (reports and the fault evidence read them), the warnings a
// failed step or a re-picked worker leaves in the lab log, the 50 ms before an attempt in which a FaultInjected
// still counts as delivered, a target without an event list, the OOM step's leak and deadline, a heal that both its
// timer and the stop would run, the ready-worker deadline, and the polling that ends at stop.
import { labEvent, type LabEvent } from '../events';
import type { OomKill, StartedTarget, WorkerInfo } from '../targets/types';
import { scheduleUnderTest } from './test-support/schedule-under-test';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());
const tick = (ms = 0) => jest.advanceTimersByTimeAsync(ms);

const w101: WorkerInfo = { pool: 'app', id: 1, pid: 101, state: 'Ready' };

function fakeTarget() {
  const calls: string[] = [];
  const events: LabEvent[] = [];
  let workers: WorkerInfo[] = [w101];
  const t: StartedTarget = {
    name: 'fake',
    endpoint: { host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1' },
    stop: async () => undefined,
    kill: async () => undefined,
    workers: async () => workers,
    signal: async (pid, sig) => void calls.push(`signal ${pid} ${sig}`),
    injectFault: async (w, spec) => void calls.push(`inject ${w.pid} ${spec.kind}`),
    healFaults: async (w) => void calls.push(`heal ${w.pid}`),
    events: () => events,
  };
  return { t, calls, events, setWorkers: (w: WorkerInfo[]) => (workers = w) };
}

const schedule = scheduleUnderTest;

describe('marks carry the fields of their action, and only those', () => {
  it('plan and step marks of a signal, a container kill and a recycle', async () => {
    const { t } = fakeTarget();
    t.containerKill = async () => undefined;
    t.runtimeDetails = { runtime: 'container' };
    t.recycle = async () => undefined;
    const { s, named } = schedule(t, [
      { at: 0, action: 'signal', signal: 'SIGTERM' },
      { at: 0, action: 'container-kill', signal: 'SIGTERM' },
      { at: 0, action: 'recycle', pool: 'p', optional: true },
    ]);
    s.start();
    await tick(10);
    await s.stop();
    expect(named('fault-plan')[0]!['steps']).toStrictEqual([
      { step: 0, action: 'signal', pool: 'app', signal: 'SIGTERM', firings: 1, optional: false },
      { step: 1, action: 'container-kill', firings: 1, optional: false },
      { step: 2, action: 'recycle', pool: 'p', firings: 1, optional: true },
    ]);
    const at = expect.any(Number);
    const byStep = named('fault-step').sort((a, b) => (a['step'] as number) - (b['step'] as number));
    expect(byStep).toStrictEqual([
      {
        name: 'fault-step',
        step: 0,
        firing: 1,
        action: 'signal',
        attemptedAt: at,
        pool: 'app',
        signal: 'SIGTERM',
        status: 'performed',
        workers: [{ pid: 101, workerId: 1, pool: 'app' }],
      },
      {
        name: 'fault-step',
        step: 1,
        firing: 1,
        action: 'container-kill',
        attemptedAt: at,
        status: 'performed',
        workers: [],
      },
      {
        name: 'fault-step',
        step: 2,
        firing: 1,
        action: 'recycle',
        attemptedAt: at,
        pool: 'p',
        optional: true,
        status: 'performed',
        workers: [],
      },
    ]);
  });

  it('a failure without an error code: marks without a code field; the log warns with the step', async () => {
    const { t } = fakeTarget();
    t.signal = async () => {
      throw new Error('EPERM');
    };
    const { s, named, warnings } = schedule(t, [{ at: 0, action: 'signal' }]);
    s.start();
    await tick(10);
    await s.stop();
    expect(named('fault-error')).toStrictEqual([{ name: 'fault-error', step: 0, action: 'signal', error: 'EPERM' }]);
    expect(named('fault-step')[0]).not.toHaveProperty('code');
    expect(warnings()).toEqual([{ msg: 'fault step failed', err: 'EPERM', step: 0, pid: undefined }]);
  });

  it('a fault step names its kind; a container restart is marked before it is asked for', async () => {
    const { t } = fakeTarget();
    t.runtimeDetails = { runtime: 'container' };
    let marksAtRestart = 0;
    const { s, named, marks } = schedule(t, [
      { at: 0, action: 'fault', fault: { kind: 'error' } },
      { at: 10, action: 'container-restart' },
    ]);
    t.containerRestart = async () => ((marksAtRestart = named('fault-injected').length), { durationMs: 5 });
    s.start();
    await tick(20);
    await s.stop();
    expect(named('fault-injected')).toStrictEqual([
      {
        name: 'fault-injected',
        fault: expect.objectContaining({ kind: 'error' }),
        targetPid: 101,
        workerId: 1,
        pool: 'app',
      },
      { name: 'fault-injected', fault: 'container-restart' },
    ]);
    expect(marksAtRestart).toBe(2);
    expect(marks.filter((m) => m['name'] === 'fault-step').map((m) => m['fault'])).toEqual(['error', undefined]);
  });
});

describe('an injection the worker did not answer', () => {
  const fi = (t: number, pid = 101) =>
    labEvent('FaultInjected', { t, source: 'w3', pool: 'app', pid, faultKind: 'hang' });
  /** The injection fails; meanwhile the target reports `seen` (ms before the attempt -> its events). */
  const failing = (t: StartedTarget, calls: string[], events: LabEvent[], seen: (now: number) => LabEvent[]) => {
    t.injectFault = async (w) => {
      calls.push(`inject ${w.pid}`);
      events.push(...seen(Date.now()));
      throw new Error('socket hang up');
    };
  };

  it('counts as delivered on a FaultInjected of that worker up to 50 ms before the attempt (warned)', async () => {
    const { t, calls, events } = fakeTarget();
    failing(t, calls, events, (now) => [fi(now - 50)]);
    const { s, named, warnings } = schedule(t, [
      { at: 0, action: 'fault', fault: { kind: 'hang', mode: 'block-loop' } },
    ]);
    s.start();
    await tick(1000);
    await s.stop();
    expect(named('fault-step')[0]).toMatchObject({ status: 'performed' });
    expect(calls.filter((c) => c.startsWith('inject'))).toEqual(['inject 101']);
    expect(warnings()).toEqual([
      { msg: 'the worker did not answer the injection, but the target delivered it', pid: 101, err: 'socket hang up' },
    ]);
  });

  it('not on one 51 ms before, of another worker, or of another type: the same worker again is a failure', async () => {
    const { t, calls, events } = fakeTarget();
    failing(t, calls, events, (now) => [
      fi(now - 51),
      fi(now, 102),
      labEvent('WorkerReady', { t: now, source: 'w3', pool: 'app', pid: 101 }),
    ]);
    const { s, named, warnings } = schedule(t, [
      { at: 0, action: 'fault', fault: { kind: 'hang', mode: 'block-loop' } },
    ]);
    s.start();
    await tick(1000);
    await s.stop();
    expect(named('fault-step')[0]).toMatchObject({ status: 'failed', error: 'socket hang up' });
    expect(calls.filter((c) => c.startsWith('inject'))).toEqual(['inject 101']); // not injected twice
    expect(warnings()).toEqual([{ msg: 'fault step failed', err: 'socket hang up', step: 0, pid: undefined }]);
  });

  it('without an event list: the worker that went away is replaced by a fresh pick (warned)', async () => {
    const { t, calls, setWorkers } = fakeTarget();
    delete t.events;
    t.injectFault = async (w) => {
      calls.push(`inject ${w.pid}`);
      if (w.pid === 101) {
        setWorkers([{ pool: 'app', id: 7, pid: 107, state: 'Ready' }]);
        throw new Error('409: worker exited');
      }
    };
    const { s, named, warnings } = schedule(t, [{ at: 0, action: 'fault', fault: { kind: 'error' } }]);
    s.start();
    await tick(1000);
    await s.stop();
    expect(named('fault-step')[0]).toMatchObject({
      status: 'performed',
      workers: [{ pid: 107, workerId: 7, pool: 'app' }],
    });
    expect(calls.filter((c) => c.startsWith('inject'))).toEqual(['inject 101', 'inject 107']);
    expect(warnings()).toEqual([
      { msg: 'the picked worker went away before the injection; picking again', pid: 101, err: '409: worker exited' },
    ]);
  });
});

describe('the OOM step', () => {
  it('leaks off-heap with the step’s rate and cap, and gives the target the step’s deadline', async () => {
    const { t } = fakeTarget();
    t.runtimeDetails = { runtime: 'container' };
    const asked: unknown[] = [];
    t.oomKillWorker = async (w, leak, opts): Promise<OomKill> => {
      asked.push([w.pid, leak, opts]);
      return { pid: w.pid, oomKillCount: 1, cgroup: 'c', injectedAt: 1, crashedAt: 2, replacedAt: 3 };
    };
    const { s } = schedule(t, [{ at: 0, action: 'oom', leak: { rateKBps: 512, capKB: 4096 }, timeout: '30s' }]);
    s.start();
    await tick(10);
    await s.stop();
    expect(asked).toEqual([
      [101, { kind: 'leak', rateKBps: 512, capKB: 4096, space: 'offheap', durationMs: 0 }, { timeoutMs: 30_000 }],
    ]);
  });
});

describe('heals, deadlines and stop', () => {
  it('a heal due on its timer after the stop already ran it runs once', async () => {
    const { t, calls } = fakeTarget();
    let release: () => void = () => undefined;
    t.signal = async (pid, sig) => {
      calls.push(`signal ${pid} ${sig}`);
      if (sig === 'SIGSTOP') await new Promise<void>((r) => (release = r));
    };
    const { s } = schedule(t, [{ at: 0, action: 'signal', signal: 'SIGSTOP', duration: 1000 }]);
    s.start();
    await tick(0);
    // The stop comes while the SIGSTOP is still under way: its heal is registered (with its timer) after that.
    const stopped = s.stop();
    release();
    await stopped;
    await tick(2000);
    expect(calls).toEqual(['signal 101 SIGSTOP', 'signal 101 SIGCONT']);
  });

  it('a pool without a ready worker fails the step exactly when readyWaitMs is up', async () => {
    const { t } = fakeTarget();
    let firstAsked = 0;
    t.workers = async () => ((firstAsked ||= Date.now()), []);
    const { s } = schedule(t, [{ at: 0, action: 'signal' }], 100);
    s.start();
    await tick(1);
    expect(firstAsked).toBeGreaterThan(0);
    await tick(firstAsked + 99 - Date.now());
    expect(s.errors).toEqual([]);
    await tick(1);
    await tick(0);
    expect(s.errors).toEqual(['faults[0] (signal): pool app had no ready worker to select from for 100 ms']);
    await s.stop();
  });

  it('an `after:` trigger that never came stops polling at stop; without events it never fires', async () => {
    const { t } = fakeTarget();
    let asked = 0;
    t.events = () => (asked++, []);
    const { s, named } = schedule(t, [{ after: { event: 'PoolStopped' }, action: 'start-pool' }]);
    s.start();
    await tick(100);
    expect(asked).toBeGreaterThan(0);
    await s.stop();
    const atStop = asked;
    await tick(1000);
    expect(asked).toBe(atStop);
    expect(named('fault-plan')[0]!['steps']).toEqual([expect.objectContaining({ firings: null })]);

    const bare = fakeTarget();
    delete bare.t.events;
    bare.t.startPool = async () => void bare.calls.push('start');
    const b = schedule(bare.t, [{ after: { event: 'PoolStopped' }, action: 'start-pool' }]);
    b.s.start();
    await tick(1000);
    await b.s.stop();
    expect(bare.calls).toEqual([]);
    expect(b.s.errors).toEqual([]);
  });
});
