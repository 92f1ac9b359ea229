// The peers' event mapping (the node-cluster primary's and the peer drivers' shared line dialect).
import { readLabEvent } from '../events';
import { labEventFromPeerLine } from './peer-events';

const t = 1;
const w = { pool: 'app', workerId: 2, pid: 77 };
const map = (e: Record<string, unknown>) => {
  const out = labEventFromPeerLine({ t, ...e } as { t: number; type: string }, 'node-cluster');
  expect(out && readLabEvent(out).ok).toBe(true);
  return out;
};

describe('labEventFromPeerLine', () => {
  it('maps the rolling restart as admin recycles and crashes with their signal', () => {
    expect(
      map({ type: 'RecycleStarted', eventId: 5079, ...w, recycleId: 1, reason: 'OnDemand', overlapped: true }),
    ).toMatchObject({ reason: 'admin', source: 'node-cluster' });
    expect(
      map({
        type: 'RecycleCompleted',
        pool: 'app',
        recycleId: 1,
        reason: 'OnDemand',
        oldPid: 77,
        newPid: 78,
        readyMs: 12,
      }),
    ).toMatchObject({ reason: 'admin', newPid: 78 });
    expect(map({ type: 'RecycleOverlapFailed', ...w, recycleId: 1, reason: 'OnDemand' })).toMatchObject({
      reason: 'admin',
    });
    expect(
      map({ type: 'WorkerCrashed', eventId: 5009, ...w, exitCode: null, signal: 'SIGKILL', reason: 'crash' }),
    ).toMatchObject({ signal: 'SIGKILL', duringStartup: false });
    expect(map({ type: 'WorkerCrashed', ...w, exitCode: 1, signal: null, reason: 'startup-crash' })).toMatchObject({
      duringStartup: true,
    });
  });

  it('maps lifecycle, shutdown kills and fault acknowledgements', () => {
    expect(map({ type: 'WorkerStarting', ...w })).toMatchObject({ type: 'WorkerStarting' });
    expect(map({ type: 'WorkerReady', ...w, startupMs: 40 })).toMatchObject({ startupMs: 40 });
    expect(map({ type: 'WorkerDraining', ...w, reason: 'recycle' })).toMatchObject({ reason: 'recycle' });
    expect(map({ type: 'WorkerExited', ...w, exitCode: 0, signal: null, reason: 'recycle' })).toMatchObject({
      reason: 'recycle',
    });
    expect(map({ type: 'WorkerKilled', ...w, reason: 'shutdown-timeout' })).toMatchObject({
      reason: 'shutdown-timeout',
    });
    expect(map({ type: 'ShutdownTimeout', eventId: 5013, ...w, limitMs: 5000 })).toMatchObject({ limitMs: 5000 });
    expect(map({ type: 'FaultInjected', ...w, fault: { kind: 'crash' } })).toMatchObject({ faultKind: 'crash' });
    expect(map({ type: 'HostStarted', listen: { host: '127.0.0.1', port: 9 } })).toMatchObject({ type: 'HostStarted' });
  });

  it('maps what the pm2, nginx and haproxy drivers emit: pool reloads, memory restarts, replays, health checks', () => {
    expect(
      map({
        type: 'RecycleStarted',
        eventId: 5079,
        pool: 'app',
        reason: 'OnDemand',
        recycleId: 4,
        overlapped: true,
        oldPids: [1, 2],
      }),
    ).toMatchObject({ reason: 'admin', recycleId: 4 });
    expect(
      map({
        type: 'RecycleStarted',
        eventId: 5117,
        ...w,
        reason: 'PrivateMemory',
        recycleId: 1,
        overlapped: true,
        privateMemoryKB: 202412,
        limitKB: 200000,
      }),
    ).toMatchObject({ reason: 'private-memory', pid: 77, privateMemoryKB: 202412, limitKB: 200000 });
    expect(map({ type: 'RecycleStarted', eventId: 5075, ...w, reason: 'Requests', recycleId: 2 })).toMatchObject({
      reason: 'requests',
    });
    expect(map({ type: 'PoolStopped', eventId: 5002, pool: 'app', reason: 'RapidFail', pmId: 0 })).toMatchObject({
      reason: 'rapid-fail',
    });
    expect(map({ type: 'RequestRetried', pool: 'app', status: 502, attempts: 2 })).toMatchObject({
      type: 'RequestRetried',
    });
    expect(map({ type: 'PingFailed', eventId: 5010, ...w, reason: 'L4CON', server: 'b1' })).toMatchObject({ pid: 77 });
    expect(map({ type: 'ConfigReloaded', what: 'nginx reload', durationMs: 30 })).toMatchObject({
      type: 'ConfigReloaded',
    });
  });

  it('returns null for lines it has no word for', () => {
    expect(labEventFromPeerLine({ t, type: 'Whatever', pool: 'app' }, 'nginx')).toBeNull();
    expect(labEventFromPeerLine({ t, type: 'WorkerHealthy', pool: 'app', pid: 3 }, 'haproxy')).toBeNull();
    expect(labEventFromPeerLine({ t, type: 'WorkerReady', pool: 'app' }, 'pm2')).toBeNull();
  });
});
