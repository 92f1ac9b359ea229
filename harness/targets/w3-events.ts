// The w3 adapter's event mapping: w3's own event log (its IIS-flavoured names, reasons and event IDs) into the lab's
// target-neutral vocabulary (harness/events). This file and its test are the only harness code that knows w3's
// event types; checkers, stats and reports read what comes out of here. An event the vocabulary has no word for
// (WorkerDraining's cousins that only w3 has, a type added to w3 later) maps to null and stays in w3.log.
import type { RecycleReason as W3RecycleReason, W3Event, W3EventType } from '../../targets/w3/events/event-types';
import {
  labEvent,
  type FailureKind,
  type KillReason,
  type LabEvent,
  type PoolStopReason,
  type RecycleReason,
} from '../events';

const SOURCE = 'w3';

const RECYCLE_REASONS: Record<W3RecycleReason, RecycleReason> = {
  Time: 'time',
  Requests: 'requests',
  Schedule: 'schedule',
  Memory: 'memory',
  PrivateMemory: 'private-memory',
  IsapiUnhealthy: 'unhealthy',
  OnDemand: 'admin',
  ConfigChange: 'config-change',
};

const STOP_REASONS: Record<string, PoolStopReason> = { RapidFail: 'rapid-fail', Admin: 'admin', CpuLimit: 'cpu-limit' };

const FAILURE_KINDS: readonly FailureKind[] = [
  'crash',
  'ping',
  'startup-timeout',
  'shutdown-timeout',
  'malformed-message',
  'stalled',
];
const KILL_REASONS: readonly KillReason[] = [
  'ping',
  'stalled',
  'startup-timeout',
  'shutdown-timeout',
  'malformed-message',
  'cpu-limit',
  'memory',
  'orphan',
  'other',
];

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);

function recycleReason(v: unknown): RecycleReason {
  return RECYCLE_REASONS[v as W3RecycleReason] ?? 'admin';
}

/** Why w3 killed a worker: its structured `kind` when it gives one, else read from its reason text. */
function killReason(e: W3Event): KillReason {
  const kind = str(e['kind']);
  if (kind && (KILL_REASONS as readonly string[]).includes(kind)) return kind as KillReason;
  const reason = str(e.reason) ?? '';
  if (reason.startsWith('orphan')) return 'orphan';
  if (reason === 'cpu-limit') return 'cpu-limit';
  if (/progress|stall/i.test(reason)) return 'stalled'; // its text mentions pings too: test it first
  if (/ping/i.test(reason)) return 'ping';
  if (/startupTimeLimit|not ready/i.test(reason)) return 'startup-timeout';
  if (/shutdown/i.test(reason)) return 'shutdown-timeout';
  if (/control message/i.test(reason)) return 'malformed-message';
  return 'other';
}

/** The lab event for one w3 event, or null when the vocabulary has no word for it (or it lacks what it needs). */
export function labEventFromW3(e: W3Event): LabEvent | null {
  const host = hostEvent(e);
  if (host !== undefined) return host;
  const pool = str(e.pool);
  if (pool === undefined) return null;
  const pooled: PoolBase = { t: e.t, source: SOURCE, pool };
  const inPool = poolEvent(e, pooled);
  if (inPool !== undefined) return inPool;
  const pid = num(e.pid);
  if (pid === undefined) return null;
  const workerId = num(e.workerId);
  return workerEvent(e, { ...pooled, pid, ...(workerId !== undefined ? { workerId } : {}) });
}

/** Events of the host as a whole; undefined for any other type. */
function hostEvent(e: W3Event): LabEvent | undefined {
  const t = e.t;
  const type: W3EventType = e.type;
  switch (type) {
    case 'HostStarted': {
      const listen = e['listen'] as { host?: unknown; port?: unknown } | undefined;
      const host = str(listen?.host);
      const port = num(listen?.port);
      return labEvent('HostStarted', {
        t,
        source: SOURCE,
        ...(host !== undefined && port !== undefined ? { listen: { host, port } } : {}),
      });
    }
    case 'HostStopping':
      return labEvent('HostStopping', { t, source: SOURCE, reason: str(e.reason) });
    case 'ConfigReloaded':
      return labEvent('ConfigReloaded', {
        t,
        source: SOURCE,
        recycled: strings(e['recycled']),
        added: strings(e['added']),
        removed: strings(e['removed']),
      });
    case 'ConfigReloadRejected':
      return labEvent('ConfigReloadRejected', { t, source: SOURCE, error: str(e.reason) ?? 'rejected' });
    default:
      return undefined;
  }
}

type PoolBase = { t: number; source: string; pool: string };

/** Events of a pool that are not about one worker's life; undefined for any other type, null when unusable. */
function poolEvent(e: W3Event, pooled: PoolBase): LabEvent | null | undefined {
  const pid = num(e.pid);
  const workerId = num(e.workerId);
  const type: W3EventType = e.type;
  switch (type) {
    case 'PoolStarted':
      return labEvent('PoolStarted', { ...pooled, reason: str(e.reason) ?? 'boot' });
    case 'PoolStopped':
      return labEvent('PoolStopped', { ...pooled, reason: STOP_REASONS[str(e.reason) ?? ''] ?? 'other' });
    case 'RapidFailCount': {
      const failure = str(e.reason) as FailureKind | undefined;
      if (!failure || !FAILURE_KINDS.includes(failure)) return null;
      return labEvent('RapidFailCount', {
        ...pooled,
        failure,
        count: num(e['count']) ?? 0,
        windowMs: num(e['windowMs']) ?? 0,
      });
    }
    case 'QueueFull':
      return labEvent('QueueFull', { ...pooled, queueLength: num(e['queueLength']) });
    case 'RequestRetried':
      return labEvent('RequestRetried', {
        ...pooled,
        pid,
        method: str(e['method']) ?? '?',
        url: str(e['url']) ?? '?',
        error: str(e['error']),
      });
    case 'RequestAbandoned':
      return labEvent('RequestAbandoned', {
        ...pooled,
        pid,
        method: str(e['method']) ?? '?',
        url: str(e['url']) ?? '?',
        responseStarted: e['responseStarted'] === true,
        error: str(e['error']),
      });
    case 'RecycleCompleted':
      return labEvent('RecycleCompleted', {
        ...pooled,
        recycleId: num(e.recycleId) ?? -1,
        reason: recycleReason(e.reason),
        workerId,
        oldPid: num(e['oldPid']),
        newPid: num(e['newPid']),
        newWorkerId: num(e['newWorkerId']),
        overlapped: typeof e['overlapped'] === 'boolean' ? e['overlapped'] : undefined,
        durationMs: num(e['durationMs']),
        readyMs: e['readyMs'] === null ? null : num(e['readyMs']),
        oldExitMs: e['oldExitMs'] === null ? null : num(e['oldExitMs']),
        cancelled: e['cancelled'] === true ? true : undefined,
        replacementFailed: e['replacementFailed'] === true ? true : undefined,
      });
    case 'FaultInjected': {
      const fault = e['fault'] as { kind?: unknown } | undefined;
      return labEvent('FaultInjected', { ...pooled, pid, faultKind: str(fault?.kind) ?? 'unknown' });
    }
    case 'FaultHealed':
      return labEvent('FaultHealed', { ...pooled, pid });
    default:
      return undefined;
  }
}

type WorkerBase = { t: number; source: string; pool: string; pid: number; workerId?: number };

function workerEvent(e: W3Event, w: WorkerBase): LabEvent | null {
  switch (e.type) {
    case 'WorkerStarting':
      return labEvent('WorkerStarting', { ...w, recycleId: num(e.recycleId) });
    case 'WorkerReady':
      return labEvent('WorkerReady', { ...w, recycleId: num(e.recycleId), startupMs: num(e['startupMs']) });
    case 'WorkerDraining':
      return labEvent('WorkerDraining', { ...w, reason: str(e.reason) ?? 'unknown', inFlight: num(e['inFlight']) });
    case 'WorkerExited':
      return labEvent('WorkerExited', {
        ...w,
        reason: str(e.reason) ?? 'unknown',
        exitCode: e.exitCode,
        signal: e.signal,
      });
    case 'WorkerCrashed':
      return labEvent('WorkerCrashed', {
        ...w,
        exitCode: num(e.exitCode) ?? null,
        signal: str(e.signal) ?? null,
        duringStartup: e.reason === 'startup-crash',
      });
    case 'WorkerKilled':
      return labEvent('WorkerKilled', { ...w, reason: killReason(e), detail: str(e.reason) });
    case 'WorkerOrphaned':
      return labEvent('WorkerOrphaned', { ...w, reason: str(e.reason) ?? 'unknown' });
    case 'PingFailed':
      return labEvent('PingFailed', { ...w, waitedMs: num(e['pingResponseTimeMs']) });
    case 'RequestStalled':
      return labEvent('RequestStalled', {
        ...w,
        waitedMs: num(e['waitedMs']),
        stalledRequests: num(e['stalledRequests']),
      });
    case 'StartupTimeout':
      return labEvent('StartupTimeout', { ...w, limitMs: num(e['limitMs']) ?? 0 });
    case 'ShutdownTimeout':
      return labEvent('ShutdownTimeout', { ...w, limitMs: num(e['limitMs']) ?? 0, inFlight: num(e['inFlight']) });
    case 'IdleShutdown':
      return labEvent('IdleShutdown', { ...w, idleMs: num(e['idleMs']) ?? 0 });
    case 'CpuLimitExceeded':
      return labEvent('CpuLimitExceeded', { ...w, action: str(e['action']) });
    case 'RecycleStarted':
      return labEvent('RecycleStarted', {
        ...w,
        recycleId: num(e.recycleId) ?? -1,
        reason: recycleReason(e.reason),
        overlapped: typeof e['overlapped'] === 'boolean' ? e['overlapped'] : undefined,
        privateMemoryKB: num(e['privateMemoryKB']),
        memoryKB: num(e['memoryKB']),
        limitKB: num(e['limitKB']),
      });
    case 'RecycleOverlapFailed':
      return labEvent('RecycleOverlapFailed', {
        ...w,
        recycleId: num(e.recycleId) ?? -1,
        reason: recycleReason(e.reason),
      });
    default:
      return null;
  }
}
