// The peers' event mapping. The node-cluster primary and the peer drivers (targets/peers/*: pm2, nginx, haproxy,
// gunicorn) print JSON lines `{"event":{...}}` in one shared dialect (documented in the node-cluster README): w3's
// type names with its reason words (OnDemand, PrivateMemory, RapidFail) and the fields each driver can observe.
// This maps that dialect into the lab's vocabulary, tagged with the peer's name; a line it has no word for (a
// helper process started, a health check passed) maps to null and stays in the peer's log.
import { labEvent, type KillReason, type LabEvent, type PoolStopReason, type RecycleReason } from '../events';
import type { TargetLogEvent } from './event-log';

const RECYCLE_REASONS: Record<string, RecycleReason> = {
  Time: 'time',
  Requests: 'requests',
  Schedule: 'schedule',
  Memory: 'memory',
  PrivateMemory: 'private-memory',
  IsapiUnhealthy: 'unhealthy',
  OnDemand: 'admin',
  ConfigChange: 'config-change',
};
const STOP_REASONS: Record<string, PoolStopReason> = { RapidFail: 'rapid-fail', Admin: 'admin' };
const KILL_REASONS = new Set<string>([
  'ping',
  'stalled',
  'startup-timeout',
  'shutdown-timeout',
  'malformed-message',
  'cpu-limit',
  'memory',
  'orphan',
]);

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const recycleReason = (v: unknown): RecycleReason => RECYCLE_REASONS[str(v) ?? ''] ?? 'admin';

function hostEvent(e: TargetLogEvent, source: string): LabEvent | null {
  const t = e.t;
  if (e.type === 'HostStarted') {
    const listen = e['listen'] as { host?: unknown; port?: unknown } | undefined;
    const host = str(listen?.host);
    const port = num(listen?.port);
    return labEvent('HostStarted', {
      t,
      source,
      ...(host !== undefined && port !== undefined ? { listen: { host, port } } : {}),
    });
  }
  if (e.type === 'HostStopping') return labEvent('HostStopping', { t, source, reason: str(e['reason']) });
  if (e.type === 'ConfigReloaded') return labEvent('ConfigReloaded', { t, source });
  return null;
}

/** The lab event for one line of a peer (source: its target name), or null. */
export function labEventFromPeerLine(e: TargetLogEvent, source: string): LabEvent | null {
  const host = hostEvent(e, source);
  if (host) return host;
  const pool = str(e['pool']);
  if (pool === undefined) return null;
  const t = e.t;
  const pid = num(e['pid']);
  const workerId = num(e['workerId']);
  const recycleId = num(e['recycleId']);
  const pooled = { t, source, pool };
  switch (e.type) {
    case 'RecycleStarted':
      return labEvent('RecycleStarted', {
        ...pooled,
        pid,
        workerId,
        recycleId: recycleId ?? -1,
        reason: recycleReason(e['reason']),
        overlapped: typeof e['overlapped'] === 'boolean' ? e['overlapped'] : undefined,
        // What the peer measured for a memory recycle (PM2: its max_memory_restart check).
        privateMemoryKB: num(e['privateMemoryKB']),
        memoryKB: num(e['memoryKB']),
        limitKB: num(e['limitKB']),
      });
    case 'RecycleCompleted':
      return labEvent('RecycleCompleted', {
        ...pooled,
        recycleId: recycleId ?? -1,
        reason: recycleReason(e['reason']),
        workerId,
        oldPid: num(e['oldPid']),
        newPid: num(e['newPid']),
        newWorkerId: num(e['newWorkerId']),
        overlapped: typeof e['overlapped'] === 'boolean' ? e['overlapped'] : undefined,
        durationMs: num(e['durationMs']),
        readyMs: e['readyMs'] === null ? null : num(e['readyMs']),
        oldExitMs: e['oldExitMs'] === null ? null : num(e['oldExitMs']),
      });
    case 'RecycleOverlapFailed':
      return labEvent('RecycleOverlapFailed', {
        ...pooled,
        pid,
        workerId,
        recycleId: recycleId ?? -1,
        reason: recycleReason(e['reason']),
      });
    case 'PoolStopped':
      return labEvent('PoolStopped', { ...pooled, reason: STOP_REASONS[str(e['reason']) ?? ''] ?? 'other' });
    case 'RequestRetried':
      return labEvent('RequestRetried', {
        ...pooled,
        pid,
        method: str(e['method']),
        url: str(e['url']),
        error: str(e['error']),
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
  return workerEvent(e, { ...pooled, pid, workerId, recycleId });
}

type WorkerBase = {
  t: number;
  source: string;
  pool: string;
  pid: number;
  workerId: number | undefined;
  recycleId: number | undefined;
};

function workerEvent(e: TargetLogEvent, b: WorkerBase): LabEvent | null {
  const { recycleId, ...w } = b;
  switch (e.type) {
    case 'WorkerStarting':
      return labEvent('WorkerStarting', { ...w, recycleId });
    case 'WorkerReady':
      return labEvent('WorkerReady', { ...w, recycleId, startupMs: num(e['startupMs']) });
    case 'WorkerDraining':
      return labEvent('WorkerDraining', { ...w, reason: str(e['reason']) ?? 'unknown' });
    case 'WorkerExited':
      return labEvent('WorkerExited', {
        ...w,
        reason: str(e['reason']) ?? 'unknown',
        exitCode: num(e['exitCode']) ?? null,
        signal: str(e['signal']) ?? null,
      });
    case 'WorkerCrashed':
      return labEvent('WorkerCrashed', {
        ...w,
        exitCode: num(e['exitCode']) ?? null,
        signal: str(e['signal']) ?? null,
        duringStartup: e['reason'] === 'startup-crash',
      });
    case 'WorkerKilled': {
      const reason = str(e['reason']) ?? '';
      return labEvent('WorkerKilled', {
        ...w,
        reason: KILL_REASONS.has(reason) ? (reason as KillReason) : 'other',
        detail: reason || undefined,
      });
    }
    case 'ShutdownTimeout':
      return labEvent('ShutdownTimeout', { ...w, limitMs: num(e['limitMs']) ?? 0 });
    case 'PingFailed':
      return labEvent('PingFailed', { ...w, waitedMs: num(e['waitedMs']) });
    default:
      return null;
  }
}
