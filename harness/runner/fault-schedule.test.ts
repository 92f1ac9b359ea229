import pino from 'pino';
import { FaultSchedule } from './fault-schedule';
import { parseScenario } from '../scenarios/load-scenario';
import { seededRandom } from '../../faults';
import type { StartedTarget, WorkerInfo } from '../targets/types';
import { labEvent, type LabEvent } from '../events';

const log = pino({ level: 'silent' });

function fakeTarget(opts: { failInject?: boolean } = {}) {
  const calls: string[] = [];
  const events: LabEvent[] = [];
  const workers: WorkerInfo[] = [
    { pool: 'app', id: 1, pid: 101, state: 'Ready' },
    { pool: 'app', id: 2, pid: 102, state: 'Ready' },
    { pool: 'app', id: 3, pid: 103, state: 'Draining' },
  ];
  const t: StartedTarget = {
    name: 'fake',
    endpoint: { host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1' },
    stop: async () => undefined,
    kill: async () => undefined,
    recycle: async (pool) => void calls.push(`recycle ${pool}`),
    workers: async () => workers,
    signal: async (pid, sig) => void calls.push(`signal ${pid} ${sig}`),
    injectFault: async (w, spec) => {
      calls.push(`inject ${w.pid} ${spec.kind}`);
      if (opts.failInject) throw new Error('worker did not acknowledge');
    },
    healFaults: async (w) => void calls.push(`heal ${w.pid}`),
    events: () => events,
  };
  return { t, calls, events };
}

function steps(faults: unknown[]) {
  return parseScenario(
    { name: 'x', workload: [{ name: 'l', duration: '1s' }], faults, expect: [{ check: 'noFailedRequests' }] },
    't',
  ).faults;
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('FaultSchedule', () => {
  it('fires at, every (bounded) and after-event steps and marks each action', async () => {
    const { t, calls, events } = fakeTarget();
    const marks: string[] = [];
    const s = new FaultSchedule(
      t,
      steps([
        { at: 10, action: 'recycle', pool: 'app' },
        { every: 60, times: 3, action: 'recycle', pool: 'other' },
        { after: { event: 'PoolStopped', pool: 'app' }, action: 'start-pool' },
      ]),
      seededRandom(1),
      (n) => marks.push(n),
      log,
    );
    t.startPool = async (pool) => void calls.push(`start ${pool}`);
    s.start();
    await until(() => calls.filter((c) => c === 'recycle other').length === 3 && calls.includes('recycle app'));
    expect(calls).not.toContain('start app');
    events.push(labEvent('PoolStopped', { t: Date.now(), source: 'w3', pool: 'app', reason: 'rapid-fail' }));
    await until(() => calls.includes('start app'));
    await s.stop();
    expect(calls.filter((c) => c === 'recycle other')).toHaveLength(3);
    expect(marks.filter((m) => m === 'recycle-requested')).toHaveLength(4);
    expect(marks).toContain('pool-started');
  });

  it('selects only ready workers, seeded, and always runs heal steps at stop', async () => {
    const { t, calls } = fakeTarget();
    const marks: string[] = [];
    const s = new FaultSchedule(
      t,
      steps([{ at: 0, action: 'fault', select: 'all', fault: { kind: 'slow', delayMs: 100 } }]),
      seededRandom(7),
      (n) => marks.push(n),
      log,
    );
    s.start();
    await until(() => calls.length === 2);
    expect(calls.sort()).toEqual(['inject 101 slow', 'inject 102 slow']);
    await s.stop();
    expect(calls.filter((c) => c.startsWith('heal')).sort()).toEqual(['heal 101', 'heal 102']);
    expect(marks.filter((m) => m === 'fault-healed')).toHaveLength(2);
  });

  it('heals after a duration, and heals even when the injection failed; errors are recorded, not thrown', async () => {
    const { t, calls } = fakeTarget({ failInject: true });
    const marks: string[] = [];
    const s = new FaultSchedule(
      t,
      steps([{ at: 0, action: 'fault', fault: { kind: 'error' }, duration: 30 }]),
      seededRandom(3),
      (n) => marks.push(n),
      log,
    );
    s.start();
    await until(() => calls.some((c) => c.startsWith('heal')));
    await s.stop();
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatch(/faults\[0\] \(fault\): worker did not acknowledge/);
    expect(marks).toEqual(expect.arrayContaining(['fault-injected', 'fault-error', 'fault-healed']));
  });

  it('reports a missing capability as a step error', async () => {
    const { t } = fakeTarget();
    delete t.startPool;
    const s = new FaultSchedule(t, steps([{ at: 0, action: 'start-pool' }]), seededRandom(1), () => undefined, log);
    s.start();
    await until(() => s.errors.length === 1);
    await s.stop();
    expect(s.errors[0]).toMatch(/cannot startPool/);
  });

  it('records the plan and every firing: performed with the workers it hit, or failed with the error', async () => {
    const { t } = fakeTarget({ failInject: true });
    const marks: Record<string, unknown>[] = [];
    const s = new FaultSchedule(
      t,
      steps([
        { at: 0, action: 'signal', select: 'all' },
        { every: 50, times: 2, action: 'recycle', optional: true },
        { at: 0, action: 'fault', fault: { kind: 'error' } },
        { after: { event: 'PoolStopped' }, action: 'start-pool' },
      ]),
      seededRandom(1),
      (name, extra) => marks.push({ name, ...extra }),
      log,
    );
    s.start();
    await until(() => marks.filter((m) => m['name'] === 'fault-step').length === 4);
    await s.stop();
    expect(marks[0]).toEqual({
      name: 'fault-plan',
      steps: [
        { step: 0, action: 'signal', pool: 'app', signal: 'SIGKILL', firings: 1, optional: false },
        { step: 1, action: 'recycle', pool: 'app', firings: 2, optional: true },
        { step: 2, action: 'fault', pool: 'app', fault: 'error', firings: 1, optional: false },
        { step: 3, action: 'start-pool', pool: 'app', firings: null, optional: false },
      ],
    });
    const outcomes = marks
      .filter((m) => m['name'] === 'fault-step')
      .map((m) => [m['step'], m['firing'], m['status'], m['workers'], m['error']]);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        [
          0,
          1,
          'performed',
          [
            { pid: 101, workerId: 1, pool: 'app' },
            { pid: 102, workerId: 2, pool: 'app' },
          ],
          undefined,
        ],
        [1, 1, 'performed', [], undefined],
        [1, 2, 'performed', [], undefined],
        [2, 1, 'failed', [], 'worker did not acknowledge'],
      ]),
    );
    expect(marks.find((m) => m['name'] === 'fault-step' && m['step'] === 1)).toMatchObject({
      optional: true,
      attemptedAt: expect.any(Number),
    });
  });

  it('waits for a ready worker when the pool is between workers; fails the step only after readyWaitMs', async () => {
    const { t, calls } = fakeTarget();
    let listed = 0;
    t.workers = async () =>
      ++listed < 4
        ? [{ pool: 'app', id: 5, pid: 105, state: 'Starting' }]
        : [{ pool: 'app', id: 5, pid: 105, state: 'Ready' }];
    const s = new FaultSchedule(t, steps([{ at: 0, action: 'signal' }]), seededRandom(1), () => undefined, log, 2_000);
    s.start();
    await until(() => calls.length === 1);
    await s.stop();
    expect(calls).toEqual(['signal 105 SIGKILL']);
    const never = fakeTarget();
    never.t.workers = async () => [];
    const s2 = new FaultSchedule(
      never.t,
      steps([{ at: 0, action: 'signal' }]),
      seededRandom(1),
      () => undefined,
      log,
      200,
    );
    s2.start();
    await until(() => s2.errors.length === 1);
    await s2.stop();
    expect(s2.errors[0]).toMatch(/pool app had no ready worker to select from for 200 ms/);
  });

  it('injects into a fresh pick when the picked worker died before the injection reached it', async () => {
    const { t, calls } = fakeTarget();
    let gone = false;
    t.workers = async () =>
      gone ? [{ pool: 'app', id: 7, pid: 107, state: 'Ready' }] : [{ pool: 'app', id: 1, pid: 101, state: 'Ready' }];
    t.injectFault = async (w) => {
      calls.push(`inject ${w.pid}`);
      if (w.pid === 101) {
        gone = true;
        throw new Error('409: worker exited');
      }
    };
    const marks: Record<string, unknown>[] = [];
    const s = new FaultSchedule(
      t,
      steps([{ at: 0, action: 'fault', fault: { kind: 'hang', mode: 'block-loop' } }]),
      seededRandom(1),
      (name, extra) => marks.push({ name, ...extra }),
      log,
    );
    s.start();
    await until(() => marks.some((m) => m['name'] === 'fault-step'));
    await s.stop();
    expect(calls.filter((c) => c.startsWith('inject'))).toEqual(['inject 101', 'inject 107']);
    expect(marks.find((m) => m['name'] === 'fault-step')).toMatchObject({
      status: 'performed',
      workers: [{ pid: 107 }],
    });
    expect(s.errors).toEqual([]);
  });

  it('counts a delivered injection as performed, though the worker died before answering (a hang)', async () => {
    const { t, calls, events } = fakeTarget();
    t.workers = async () => [{ pool: 'app', id: 1, pid: 101, state: 'Ready' }];
    t.injectFault = async (w) => {
      calls.push(`inject ${w.pid}`);
      events.push(
        labEvent('FaultInjected', { t: Date.now(), source: 'w3', pool: 'app', pid: w.pid, faultKind: 'hang' }),
      );
      throw new Error('409: worker exited');
    };
    const marks: Record<string, unknown>[] = [];
    const s = new FaultSchedule(
      t,
      steps([{ at: 0, action: 'fault', fault: { kind: 'hang', mode: 'block-loop' } }]),
      seededRandom(1),
      (name, extra) => marks.push({ name, ...extra }),
      log,
    );
    s.start();
    await until(() => marks.some((m) => m['name'] === 'fault-step'));
    await s.stop();
    expect(calls.filter((c) => c.startsWith('inject'))).toEqual(['inject 101']); // no second hang elsewhere
    expect(marks.find((m) => m['name'] === 'fault-step')).toMatchObject({
      status: 'performed',
      workers: [{ pid: 101 }],
    });
  });

  it('fails the step when the same worker is still there (a refusal, not a race)', async () => {
    const { t } = fakeTarget({ failInject: true });
    t.workers = async () => [{ pool: 'app', id: 1, pid: 101, state: 'Ready' }];
    const s = new FaultSchedule(
      t,
      steps([{ at: 0, action: 'fault', fault: { kind: 'error' } }]),
      seededRandom(1),
      () => undefined,
      log,
    );
    s.start();
    await until(() => s.errors.length === 1);
    await s.stop();
    expect(s.errors[0]).toMatch(/worker did not acknowledge/);
  });
});
