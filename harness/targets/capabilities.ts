// What a target system can do, stated before it starts: the mechanisms a scenario may depend on. A scenario lists
// the ones it needs (`requires:`); when the target lacks one, the run is "not supported" — a run-level outcome
// shown as "—", never a PASS or a FAIL, because the scenario would judge a mechanism that is not there (a memory
// recycle on a proxy that has none). Fault steps the target cannot perform at all stay a runner concern
// (LAB_ERR_CAPABILITY → unknown); capabilities are the static promise, checked before anything starts.
import { z } from 'zod';

export const CAPABILITIES = {
  workers: 'lists its worker processes (pids), so faults can pick one',
  signal: 'the lab may signal a worker process by pid (SIGKILL = worker crash)',
  faults: 'faults can be delivered into a worker (crash, hang, leak, slow, error, shutdown-hang)',
  startupFaults: 'the next worker starts can be made to crash or hang (a broken release)',
  recycle: "a graceful restart of the workers on request (the peer's own: reload, HUP, rolling restart)",
  shutdownTimeLimit: 'a worker that does not stop gracefully is killed after a time limit',
  hangDetection: 'something notices a hung worker (event loop blocked) and acts on it',
  stallDetection: 'something notices a worker that answers health probes but no requests (a zombie)',
  memoryRecycle: 'a worker over a memory limit is restarted',
  rapidFailProtection: 'a worker that keeps crashing is given up on (pool stopped) instead of restarted forever',
  poolControl: 'pools (apps) can be stopped and started on request',
  pools: 'several pools (apps) with their own workers behind one endpoint, routed by path',
  idleShutdown: 'an idle worker is shut down after a timeout',
  demandStart: 'the first request starts a worker and waits for it',
  requestQueue: 'a bounded request queue in front of the workers that answers 503 when full',
  frontReload: 'the process that owns client connections can reload its configuration (nginx -s reload, ...)',
} as const;

export type Capability = keyof typeof CAPABILITIES;
export const capabilityNames = Object.keys(CAPABILITIES) as Capability[];
export const capabilitySchema = z.enum(capabilityNames as [Capability, ...Capability[]]);

/** The required capabilities the target lacks, in the order the scenario lists them. */
export function missingCapabilities(required: readonly Capability[], has: readonly Capability[]): Capability[] {
  const set = new Set(has);
  return required.filter((c) => !set.has(c));
}

/** "memoryRecycle (a worker over a memory limit is restarted)" — for summaries and the console. */
export function describeCapabilities(caps: readonly Capability[]): string {
  return caps.map((c) => `${c} (${CAPABILITIES[c]})`).join(', ');
}
