// Target "node-cluster": a typical Node `cluster` setup (targets/peers/node-cluster/primary.js) run as a local
// process or in its image (node-cluster-launch.ts brings it up either way), driven only through its documented
// interface — environment variables, the JSON event lines on its output and the control endpoint (see the README
// there). Capabilities: recycle (the rolling restart a SIGUSR2 would trigger), workers, fault injection through the
// primary's IPC relay to the agent preloaded into the workers, startup faults for the next forks; signals, events,
// stop/kill and the container-level capabilities come from the runtime host (hosted-target.ts). No pool
// start/stop: cluster has no such thing. The cluster has a single group of workers; it is reported as one pool
// (settings.pool, default "app").
import fs from 'node:fs';
import { ControlledTarget } from './controlled-target';
import type { TargetLogEvent } from './event-log';
import { checkSettingsWith } from './settings-check';
import { labEventFromPeerLine } from './peer-events';
import type { LabEvent } from '../events';
import { launchClusterContainer, launchClusterProcess, type LaunchedCluster } from './node-cluster-launch';
import { nodeClusterSettingsSchema, parseNodeClusterSettings } from './node-cluster-settings';
import type { StartedTarget, Target, TargetContext } from './types';
import type { Capability } from './capabilities';

export { CLUSTER_START_TIMEOUT_MS } from './node-cluster-launch';
export {
  nodeClusterSettingsSchema,
  parseNodeClusterSettings,
  appModule,
  type NodeClusterSettings,
} from './node-cluster-settings';
export const CLUSTER_STOP_GRACE_MS = 15_000;

/** Rolling restart, worker list, signals and in-worker faults; no health pings, rapid-fail, memory limits or pools. */
export const NODE_CLUSTER_CAPABILITIES: readonly Capability[] = [
  'workers',
  'signal',
  'faults',
  'startupFaults',
  'recycle',
  'shutdownTimeLimit',
];

export function createNodeClusterTarget(): Target {
  return {
    name: 'node-cluster',
    capabilities: () => NODE_CLUSTER_CAPABILITIES,
    checkSettings: (settings) => checkSettingsWith(nodeClusterSettingsSchema, settings),
    setup: setupNodeCluster,
  };
}

async function setupNodeCluster(ctx: TargetContext): Promise<StartedTarget> {
  const s = parseNodeClusterSettings(ctx.settings);
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const log = ctx.log.child({ target: 'node-cluster' });
  const up =
    ctx.runtime === 'container' ? await launchClusterContainer(ctx, s) : await launchClusterProcess(ctx, s, log);
  log.info({ url: up.endpoint.url, workers: s.workers, app: up.app, ...up.host.details() }, 'node-cluster started');
  return new StartedNodeCluster(up, s.pool, ctx.faultInjection.enabled);
}

class StartedNodeCluster extends ControlledTarget {
  readonly name = 'node-cluster';
  constructor(up: LaunchedCluster, pool: string, faultsEnabled: boolean) {
    super(up.host, up.endpoint, {
      control: up.control,
      pool,
      faultsEnabled,
      stopGraceMs: CLUSTER_STOP_GRACE_MS,
      recycleName: 'rolling restart',
    });
    // The control socket's temp folder goes with the container however the target ends (the container's removal
    // removes it too; this covers a removal that failed, and the exit-time last resort).
    this.releaseWhenEnded(up.cleanup);
    Object.assign(this.runtimeDetails, up.details);
  }

  protected mapEvent(raw: TargetLogEvent): LabEvent | null {
    return labEventFromPeerLine(raw, 'node-cluster');
  }
}
