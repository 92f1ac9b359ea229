// The node-cluster adapter's mapping of the primary's event lines (targets/peers/node-cluster/README.md).
import { readLabEvent } from '../events';
import { labEventFromNodeCluster } from './node-cluster-events';

const t = 1;
const w = { pool: 'app', workerId: 2, pid: 77 };
const map = (e: Record<string, unknown>) => {
  const out = labEventFromNodeCluster({ t, ...e } as { t: number; type: string });
  expect(out && readLabEvent(out).ok).toBe(true);
  return out;
};

describe('labEventFromNodeCluster', () => {
  it('maps the rolling restart as admin recycles and crashes with their signal', () => {
    expect(map({ type: 'RecycleStarted', eventId: 5079, ...w, recycleId: 1, reason: 'OnDemand', overlapped: true })).toMatchObject({ reason: 'admin', source: 'node-cluster' });
    expect(map({ type: 'RecycleCompleted', pool: 'app', recycleId: 1, reason: 'OnDemand', oldPid: 77, newPid: 78, readyMs: 12 })).toMatchObject({ reason: 'admin', newPid: 78 });
    expect(map({ type: 'RecycleOverlapFailed', ...w, recycleId: 1, reason: 'OnDemand' })).toMatchObject({ reason: 'admin' });
    expect(map({ type: 'WorkerCrashed', eventId: 5009, ...w, exitCode: null, signal: 'SIGKILL', reason: 'crash' })).toMatchObject({ signal: 'SIGKILL', duringStartup: false });
    expect(map({ type: 'WorkerCrashed', ...w, exitCode: 1, signal: null, reason: 'startup-crash' })).toMatchObject({ duringStartup: true });
  });

  it('maps lifecycle, shutdown kills and fault acknowledgements', () => {
    expect(map({ type: 'WorkerStarting', ...w })).toMatchObject({ type: 'WorkerStarting' });
    expect(map({ type: 'WorkerReady', ...w, startupMs: 40 })).toMatchObject({ startupMs: 40 });
    expect(map({ type: 'WorkerDraining', ...w, reason: 'recycle' })).toMatchObject({ reason: 'recycle' });
    expect(map({ type: 'WorkerExited', ...w, exitCode: 0, signal: null, reason: 'recycle' })).toMatchObject({ reason: 'recycle' });
    expect(map({ type: 'WorkerKilled', ...w, reason: 'shutdown-timeout' })).toMatchObject({ reason: 'shutdown-timeout' });
    expect(map({ type: 'ShutdownTimeout', eventId: 5013, ...w, limitMs: 5000 })).toMatchObject({ limitMs: 5000 });
    expect(map({ type: 'FaultInjected', ...w, fault: { kind: 'crash' } })).toMatchObject({ faultKind: 'crash' });
    expect(map({ type: 'HostStarted', listen: { host: '127.0.0.1', port: 9 } })).toMatchObject({ type: 'HostStarted' });
  });

  it('returns null for lines it has no word for', () => {
    expect(labEventFromNodeCluster({ t, type: 'Whatever', pool: 'app' })).toBeNull();
    expect(labEventFromNodeCluster({ t, type: 'WorkerReady', pool: 'app' })).toBeNull();
  });
});
