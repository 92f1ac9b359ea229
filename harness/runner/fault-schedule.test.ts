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
  return parseScenario({ name: 'x', workload: [{ name: 'l', duration: '1s' }], faults, expect: [{ check: 'noFailedRequests' }] }, 't').faults;
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
    const s = new FaultSchedule(t, steps([
      { at: 10, action: 'recycle', pool: 'app' },
      { every: 60, times: 3, action: 'recycle', pool: 'other' },
      { after: { event: 'PoolStopped', pool: 'app' }, action: 'start-pool' },
    ]), seededRandom(1), (n) => marks.push(n), log);
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
    const s = new FaultSchedule(t, steps([{ at: 0, action: 'fault', select: 'all', fault: { kind: 'slow', delayMs: 100 } }]), seededRandom(7), (n) => marks.push(n), log);
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
    const s = new FaultSchedule(t, steps([{ at: 0, action: 'fault', fault: { kind: 'error' }, duration: 30 }]), seededRandom(3), (n) => marks.push(n), log);
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
});
