// The sabotage table: for every bundled scenario, a sabotaged target that must make it FAIL — w3 with one switch
// turned so that the property the scenario is about no longer holds. A scenario that still passes against its
// sabotage has checks that cannot see what they are for. The suite test runs each sabotage
// (harness/cli/sensitivity.suite.test.ts); `npm run sensitivity` runs each scenario against w3 and against its
// sabotage and prints the README's table.
import { deepMerge, type PlainObject } from '../targets/deep-merge';
import type { Scenario } from './schema';

export interface Sabotage {
  scenario: string;
  /** What is switched, as a reader would say it. */
  sabotage: string;
  target: string;
  /** Host-level w3 config overrides (limits, timers). */
  host?: PlainObject;
  /** Overrides of the pool "app" in the scenario's w3 config. */
  pool?: PlainObject;
  /** The checks expected to fail (at least one of them must). */
  failing: string[];
}

export const SABOTAGES: readonly Sabotage[] = [
  {
    scenario: 'steady-state',
    sabotage: 'maxConnections: 4 (8 clients)',
    target: 'w3',
    host: { limits: { maxConnections: 4 } },
    failing: ['connectionsSurvive', 'noFailedRequests'],
  },
  {
    scenario: 'worker-crash',
    sabotage: 'retryIdempotent: false',
    target: 'w3',
    pool: { retryIdempotent: false },
    failing: ['noFailedRequests'],
  },
  {
    scenario: 'web-garden-crash',
    sabotage: 'retryIdempotent: false',
    target: 'w3',
    pool: { retryIdempotent: false },
    failing: ['noFailedRequests'],
  },
  {
    scenario: 'worker-hang',
    sabotage: 'pingingEnabled: false',
    target: 'w3',
    pool: { processModel: { pingingEnabled: false } },
    failing: ['hangDetectedWithin'],
  },
  {
    scenario: 'zombie-worker',
    sabotage: 'requestProgressTimeout: 0 (watchdog off)',
    target: 'w3',
    pool: { processModel: { requestProgressTimeout: 0 } },
    failing: ['hangDetectedWithin', 'eventsSeen'],
  },
  {
    scenario: 'overlapped-recycle',
    sabotage: 'disallowOverlappingRotation: true',
    target: 'w3',
    pool: { recycling: { disallowOverlappingRotation: true } },
    failing: ['overlappedRecycleCompletes'],
  },
  {
    scenario: 'shutdown-hang',
    sabotage: 'shutdownTimeLimit: 60s',
    target: 'w3',
    pool: { processModel: { shutdownTimeLimit: '60s' } },
    failing: ['eventsSeen', 'overlappedRecycleCompletes'],
  },
  {
    scenario: 'memory-leak',
    sabotage: 'privateMemory: 0 (memory limit off)',
    target: 'w3',
    pool: { recycling: { periodicRestart: { privateMemory: 0 } } },
    failing: ['memoryRecycleBeforeLimit'],
  },
  {
    scenario: 'idle-demand-start',
    sabotage: 'idleTimeout: 0',
    target: 'w3',
    pool: { processModel: { idleTimeout: 0 } },
    failing: ['eventsSeen'],
  },
  {
    scenario: 'queue-overflow',
    sabotage: 'requestQueueTimeout: 300ms (shorter than the start)',
    target: 'w3',
    host: { timers: { requestQueueTimeout: '300ms' } },
    failing: ['queuedRequestsServed'],
  },
  {
    scenario: 'rapid-fail',
    sabotage: 'rapidFailProtection: false',
    target: 'w3',
    pool: { failure: { rapidFailProtection: false } },
    failing: ['rapidFailProtectionTriggers'],
  },
  {
    scenario: 'front-reload',
    sabotage: 'maxConnections: 4 (8 clients)',
    target: 'w3',
    host: { limits: { maxConnections: 4 } },
    failing: ['connectionsSurvive', 'noFailedRequests'],
  },
];

/** The scenario with the sabotage applied to its w3 config (pool "app" patched in place; arrays otherwise replace). */
export function sabotaged(sc: Scenario, s: Sabotage): Scenario {
  let config = deepMerge(sc.config, s.host);
  if (s.pool) {
    const pools = Array.isArray(config['pools']) ? (config['pools'] as PlainObject[]) : [{ name: 'app' }];
    if (!pools.some((p) => p['name'] === 'app')) pools.push({ name: 'app' });
    config = { ...config, pools: pools.map((p) => (p['name'] === 'app' ? deepMerge(p, s.pool) : p)) };
  }
  return { ...sc, name: `${sc.name}-sabotaged`, target: s.target, config };
}

/** True when `label` (a check's distinct label, e.g. `noFailedRequests[phase=load]`) is one of `names`. */
export function isOneOf(label: string, names: readonly string[]): boolean {
  return names.some((n) => label === n || label.startsWith(`${n}[`));
}
