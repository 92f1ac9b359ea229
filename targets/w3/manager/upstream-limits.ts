// The listener's HTTP connection pool to one worker (undici Pool over the worker's socket), sized and timed from
// the pool's settings:
//  - connections = processModel.maxConcurrentRequestsPerWorker: the pool never runs more requests on a worker than
//    that, so more connections would only sit idle (0 = no limit → undici's unlimited pool);
//  - the body timeout is set per request by the listener (proxy-job.ts): the shorter of connectionTimeout and
//    requestProgressTimeout, so a response that stops sending for that long is aborted;
//  - headersTimeout = 2 × requestProgressTimeout: only a backstop — the zombie watchdog (health.ts) kills a worker
//    whose request sent no byte for requestProgressTimeout, and it must act first so the zombie is found and
//    counted; 0 = off (w3 cannot tell a hung request from a legitimately slow first byte, see the README).
import type { ProcessModel } from '../config/types';
import { timerMs } from '../util/timer-limit';

export interface UpstreamLimits {
  connections: number | null;
  headersTimeout: number;
}

export function upstreamLimits(pm: ProcessModel): UpstreamLimits {
  const progress = pm.requestProgressTimeout;
  return {
    connections: pm.maxConcurrentRequestsPerWorker > 0 ? pm.maxConcurrentRequestsPerWorker : null,
    headersTimeout: progress > 0 ? timerMs(progress * 2) : 0,
  };
}
