// The container fault steps of the schedule against fake targets: a process target lacks the capabilities, so the
// step fails with LAB_ERR_CAPABILITY (marked with its code, which makes the verdict unknown); a container target
// gets kill / pause (always unpaused: at its time, or at stop) / restart / oom, each with its marks.
import pino from 'pino';
import { seededRandom } from '../../faults';
import type { HistoryRecord } from '../history/types';
import { parseScenario } from '../scenarios/load-scenario';
import type { OomKill, StartedTarget, WorkerInfo } from '../targets/types';
import { FaultSchedule } from './fault-schedule';
import { unperformedVerdict } from './unperformed-faults';

const log = pino({ level: 'silent' });
const worker: WorkerInfo = { pool: 'app', id: 1, pid: 7, state: 'Ready' };

function target(container: boolean) {
  const calls: string[] = [];
  const t: StartedTarget = {
    name: 'fake',
    endpoint: { host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1' },
    runtimeDetails: { runtime: container ? 'container' : 'process' },
    stop: async () => undefined,
    kill: async () => undefined,
    workers: async () => [worker],
    healFaults: async (w) => void calls.push(`heal ${w.pid}`),
  };
  if (container) {
    t.containerKill = async (sig) => void calls.push(`kill ${sig}`);
    t.containerPause = async () => void calls.push('pause');
    t.containerUnpause = async () => void calls.push('unpause');
    t.containerRestart = async () => (calls.push('restart'), { durationMs: 42 });
    t.oomKillWorker = async (w, leak): Promise<OomKill> => {
      calls.push(`oom ${w.pid} ${leak.kind}`);
      return {
        pid: w.pid,
        workerId: w.id,
        replacementPid: 9,
        oomKillCount: 1,
        cgroup: 'cgroup-v2',
        injectedAt: 1,
        crashedAt: 2,
        replacedAt: 3,
      };
    };
  }
  return { t, calls };
}

function run(t: StartedTarget, faults: unknown[]) {
  const steps = parseScenario(
    { name: 'x', workload: [{ name: 'l', duration: '1s' }], faults, expect: [{ check: 'noFailedRequests' }] },
    't',
  ).faults;
  const marks: Array<Record<string, unknown>> = [];
  const s = new FaultSchedule(t, steps, seededRandom(1), (name, extra) => marks.push({ name, ...extra }), log);
  return { s, marks };
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('container fault steps', () => {
  it('fail with a capability error on the process runtime, and the run is unknown', async () => {
    const { t } = target(false);
    const { s, marks } = run(t, [
      { at: 0, action: 'container-pause', duration: 100 },
      { at: 0, action: 'oom' },
    ]);
    s.start();
    await until(() => s.errors.length === 2);
    await s.stop();
    expect(s.errors.join('\n')).toMatch(
      /cannot containerPause in the "process" runtime: container faults need --runtime container/,
    );
    expect(marks.filter((m) => m.name === 'fault-error').map((m) => m.code)).toEqual([
      'LAB_ERR_CAPABILITY',
      'LAB_ERR_CAPABILITY',
    ]);
    const history = marks.map((m) => ({ kind: 'mark', t: 0, ...m }) as HistoryRecord);
    expect(unperformedVerdict({ history, events: [], start: 0, end: 1 })).toMatchObject({
      valid: 'unknown',
      summary: expect.stringMatching(
        new RegExp(
          String.raw`2 fault firing\(s\) were not carried out: ` +
            String.raw`faults\[0\] \(container-pause, firing 1\): failed — target .* cannot containerPause`,
        ),
      ),
    });
  });

  it('pause is healed by unpause after its duration, and at stop when the run ends first', async () => {
    const a = target(true);
    const timed = run(a.t, [{ at: 0, action: 'container-pause', duration: 50 }]);
    timed.s.start();
    await until(() => a.calls.includes('unpause'));
    await timed.s.stop();
    expect(a.calls).toEqual(['pause', 'unpause']);
    expect(timed.marks.map((m) => [m.name, m.fault ?? m.status])).toEqual([
      ['fault-plan', undefined],
      ['fault-injected', 'container-pause'],
      ['fault-step', 'performed'],
      ['fault-healed', 'container-pause'],
    ]);

    const b = target(true);
    const long = run(b.t, [{ at: 0, action: 'container-pause', duration: '10m' }]);
    long.s.start();
    await until(() => b.calls.includes('pause'));
    await long.s.stop();
    expect(b.calls).toEqual(['pause', 'unpause']);
  });

  it('kill, restart and oom act on the container and leave their marks', async () => {
    const { t, calls } = target(true);
    const { s, marks } = run(t, [
      { at: 0, action: 'container-kill', signal: 'SIGTERM' },
      { at: 20, action: 'container-restart' },
      { at: 40, action: 'oom', leak: { rateKBps: 1024 } },
    ]);
    s.start();
    await until(() => marks.some((m) => m.name === 'oom-killed'));
    await s.stop();
    expect(s.errors).toEqual([]);
    expect(calls).toEqual(['kill SIGTERM', 'restart', 'oom 7 leak', 'heal 7']);
    expect(marks.find((m) => m.fault === 'container-kill:SIGTERM')).toMatchObject({
      name: 'fault-injected',
      signal: 'SIGTERM',
    });
    expect(marks.find((m) => m.name === 'fault-healed' && m.fault === 'container-restart')).toMatchObject({
      durationMs: 42,
    });
    expect(marks.find((m) => m.fault === 'oom')).toMatchObject({
      name: 'fault-injected',
      targetPid: 7,
      leak: { kind: 'leak', rateKBps: 1024 },
    });
    expect(marks.find((m) => m.name === 'oom-killed')).toMatchObject({
      targetPid: 7,
      replacementPid: 9,
      oomKillCount: 1,
    });
  });
});
