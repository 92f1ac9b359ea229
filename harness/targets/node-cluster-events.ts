// The node-cluster adapter's event mapping: the JSON lines the cluster primary prints (targets/peers/node-cluster,
// documented in its README: HostStarted, WorkerStarting/Ready/Draining/Exited/Crashed/Killed, ShutdownTimeout,
// RecycleStarted/Completed/OverlapFailed for its rolling restart, FaultInjected/Healed) into the lab's vocabulary.
// Its rolling restart is always asked for by the lab, so its recycles are 'admin'. Anything else maps to null.
import { labEvent, type LabEvent } from '../events';
import type { TargetLogEvent } from './event-log';

const SOURCE = 'node-cluster';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function labEventFromNodeCluster(e: TargetLogEvent): LabEvent | null {
  const t = e.t;
  if (e.type === 'HostStarted') {
    const listen = e['listen'] as { host?: unknown; port?: unknown } | undefined;
    const host = str(listen?.host);
    const port = num(listen?.port);
    return labEvent('HostStarted', { t, source: SOURCE, ...(host !== undefined && port !== undefined ? { listen: { host, port } } : {}) });
  }
  if (e.type === 'HostStopping') return labEvent('HostStopping', { t, source: SOURCE, reason: str(e['reason']) });
  const pool = str(e['pool']);
  if (pool === undefined) return null;
  const pid = num(e['pid']);
  const pooled = { t, source: SOURCE, pool };
  const recycleId = num(e['recycleId']);
  switch (e.type) {
    case 'RecycleCompleted':
      return labEvent('RecycleCompleted', {
        ...pooled,
        recycleId: recycleId ?? -1,
        reason: 'admin',
        workerId: num(e['workerId']),
        oldPid: num(e['oldPid']),
        newPid: num(e['newPid']),
        newWorkerId: num(e['newWorkerId']),
        overlapped: true,
        durationMs: num(e['durationMs']),
        readyMs: e['readyMs'] === null ? null : num(e['readyMs']),
        oldExitMs: e['oldExitMs'] === null ? null : num(e['oldExitMs']),
      });
    case 'FaultInjected': {
      const fault = e['fault'] as { kind?: unknown } | undefined;
      return labEvent('FaultInjected', { ...pooled, pid, faultKind: str(fault?.kind) ?? 'unknown' });
    }
    case 'FaultHealed':
      return labEvent('FaultHealed', { ...pooled, pid });
    default:
      break;
  }
  if (pid === undefined) return null;
  const w = { ...pooled, pid, workerId: num(e['workerId']) };
  switch (e.type) {
    case 'WorkerStarting':
      return labEvent('WorkerStarting', { ...w, recycleId });
    case 'WorkerReady':
      return labEvent('WorkerReady', { ...w, recycleId, startupMs: num(e['startupMs']) });
    case 'WorkerDraining':
      return labEvent('WorkerDraining', { ...w, reason: str(e['reason']) ?? 'unknown' });
    case 'WorkerExited':
      return labEvent('WorkerExited', {
        ...w, reason: str(e['reason']) ?? 'disconnect', exitCode: num(e['exitCode']) ?? null, signal: str(e['signal']) ?? null,
      });
    case 'WorkerCrashed':
      return labEvent('WorkerCrashed', {
        ...w, exitCode: num(e['exitCode']) ?? null, signal: str(e['signal']) ?? null, duringStartup: e['reason'] === 'startup-crash',
      });
    case 'WorkerKilled':
      // The primary kills a worker only when its disconnect outlives the shutdown limit.
      return labEvent('WorkerKilled', { ...w, reason: 'shutdown-timeout', detail: str(e['reason']) });
    case 'ShutdownTimeout':
      return labEvent('ShutdownTimeout', { ...w, limitMs: num(e['limitMs']) ?? 0 });
    case 'RecycleStarted':
      return labEvent('RecycleStarted', { ...w, recycleId: recycleId ?? -1, reason: 'admin', overlapped: true });
    case 'RecycleOverlapFailed':
      return labEvent('RecycleOverlapFailed', { ...w, recycleId: recycleId ?? -1, reason: 'admin' });
    default:
      return null;
  }
}
