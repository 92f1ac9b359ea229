// What a scenario's w3 pool settings mean for a peer: the knobs that have a direct equivalent elsewhere (number of
// workers, shutdown time limit, health ping timing, memory limit, request-count recycling, rapid-fail counting),
// read from the scenario's config as written — no w3 defaults filled in, so a peer keeps its own defaults where the
// scenario says nothing. Each peer adapter maps these onto its own settings (kill_timeout, graceful_timeout, check
// inter, ...); explicit settings in the scenario's `targets: { <peer>: {...} }` block win over them.
import { isPlainObject } from './deep-merge';
import { parseDuration } from '../../targets/w3/config/duration';

export interface PoolIntent {
  workers?: number;
  shutdownTimeLimitMs?: number;
  pingIntervalMs?: number;
  pingResponseTimeMs?: number;
  privateMemoryKB?: number;
  /** periodicRestart.requests: recycle a worker after this many requests. */
  requests?: number;
  rapidFail?: { maxCrashes?: number; intervalMs?: number };
}

/** The pool serving "/" (else the first pool) of a w3 config, as far as it says anything. */
export function poolIntent(config: unknown): PoolIntent {
  if (!isPlainObject(config)) return {};
  const pools = Array.isArray(config['pools']) ? config['pools'].filter(isPlainObject) : [];
  const apps = Array.isArray(config['applications']) ? config['applications'].filter(isPlainObject) : [];
  const rootPool = apps.find((a) => a['path'] === '/')?.['pool'];
  const pool = pools.find((p) => p['name'] === rootPool) ?? pools[0];
  if (!pool) return {};
  const pm = isPlainObject(pool['processModel']) ? pool['processModel'] : {};
  const rec = isPlainObject(pool['recycling']) ? pool['recycling'] : {};
  const pr = isPlainObject(rec['periodicRestart']) ? rec['periodicRestart'] : {};
  const fail = isPlainObject(pool['failure']) ? pool['failure'] : {};
  const out: PoolIntent = {};
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const dur = (v: unknown): number | undefined => {
    if (typeof v !== 'number' && typeof v !== 'string') return undefined;
    try {
      return parseDuration(v);
    } catch {
      return undefined; // the w3 schema reports bad values; a peer simply does not use them
    }
  };
  if (num(pm['maxProcesses'])) out.workers = num(pm['maxProcesses']);
  if (dur(pm['shutdownTimeLimit']) !== undefined) out.shutdownTimeLimitMs = dur(pm['shutdownTimeLimit']);
  if (dur(pm['pingInterval']) !== undefined) out.pingIntervalMs = dur(pm['pingInterval']);
  if (dur(pm['pingResponseTime']) !== undefined) out.pingResponseTimeMs = dur(pm['pingResponseTime']);
  if (num(pr['privateMemory'])) out.privateMemoryKB = num(pr['privateMemory']);
  if (num(pr['requests'])) out.requests = num(pr['requests']);
  const maxCrashes = num(fail['rapidFailProtectionMaxCrashes']);
  const intervalMs = dur(fail['rapidFailProtectionInterval']);
  if (maxCrashes !== undefined || intervalMs !== undefined) {
    out.rapidFail = {
      ...(maxCrashes !== undefined ? { maxCrashes } : {}),
      ...(intervalMs !== undefined ? { intervalMs } : {}),
    };
  }
  return out;
}
