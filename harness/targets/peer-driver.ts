// The lab side of a peer driver (targets/peers/<peer>/driver.js): starts the driver as a local process with its
// settings as JSON (W3LAB_PEER_SETTINGS), waits for HostStarted, and drives it only through its control endpoint
// (the same routes as the node-cluster primary's: workers, faults, rolling restart, startup faults, plus a front
// reload where the peer has a front). Every peer target (nginx, haproxy, gunicorn, pm2) is this class plus its own
// settings schema, capabilities and driver program.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ControlClient } from './control-client';
import { ControlledTarget } from './controlled-target';
import { endpointOf } from './endpoint';
import { TargetError } from './errors';
import { EventProcess } from './event-process';
import type { LabEvent } from '../events';
import type { TargetLogEvent } from './event-log';
import { labEventFromPeerLine } from './peer-events';
import { labPaths } from './repo-paths';
import { ProcessHost } from './target-host';
import type { TargetContext } from './types';

export const PEER_STOP_GRACE_MS = 20_000;

export interface PeerLaunch {
  name: string;
  /** The driver program (absolute path). */
  driver: string;
  /** Validated settings; `runDir` is added here. */
  settings: Record<string, unknown>;
  startTimeoutMs: number;
  pool: string;
  /** Extra environment for the driver (e.g. PM2_HOME). */
  env?: Record<string, string>;
}

export async function launchPeer(ctx: TargetContext, o: PeerLaunch, log: Logger): Promise<StartedPeer> {
  const paths = labPaths();
  const faults = ctx.faultInjection.enabled;
  if (faults && !fs.existsSync(paths.faultPreload)) {
    throw new TargetError(
      'LAB_ERR_TARGET_START',
      `${o.name}: the fault agent ${paths.faultPreload} is not built: run \`npm run build\``,
    );
  }
  fs.mkdirSync(ctx.runDir, { recursive: true });
  const settings = { ...o.settings, runDir: ctx.runDir, startTimeoutMs: o.startTimeoutMs };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...o.env,
    W3LAB_RUN_ID: ctx.runId,
    POOL: o.pool,
    W3LAB_PEER_SETTINGS: JSON.stringify(settings),
    W3LAB_FAULTS: faults ? '1' : '0',
    W3LAB_PRELOAD: paths.faultPreload,
    CONTROL_TOKEN: faults ? ctx.faultInjection.token : '',
  };
  const proc = new EventProcess({
    name: o.name,
    args: [o.driver],
    cwd: ctx.runDir,
    runId: ctx.runId,
    env,
    logFile: path.join(ctx.runDir, `${o.name}.log`),
    log,
  });
  const host = new ProcessHost(proc, o.name);
  try {
    const started = await host.waitForEvent(
      (e) => e.type === 'HostStarted',
      o.startTimeoutMs + 5000,
      'HostStarted event',
    );
    const c = started['control'] as { host?: string; port?: number } | undefined;
    if (typeof c?.port !== 'number')
      throw new TargetError(
        'LAB_ERR_TARGET_START',
        `${o.name}: HostStarted has no control port: ${JSON.stringify(started)}`,
      );
    const control = new ControlClient({
      name: o.name,
      host: c.host ?? '127.0.0.1',
      port: c.port,
      ...(faults ? { token: ctx.faultInjection.token } : {}),
    });
    log.info({ url: endpointOf(started['listen']).url, ...host.details() }, `${o.name} started`);
    return new StartedPeer(o.name, host, endpointOf(started['listen']), control, o.pool, faults);
  } catch (err) {
    await host.kill();
    throw err;
  }
}

export class StartedPeer extends ControlledTarget {
  constructor(
    readonly name: string,
    host: ProcessHost,
    endpoint: ReturnType<typeof endpointOf>,
    control: ControlClient,
    pool: string,
    faultsEnabled: boolean,
  ) {
    super(host, endpoint, { control, pool, faultsEnabled, stopGraceMs: PEER_STOP_GRACE_MS, recycleName: 'recycle' });
  }

  protected mapEvent(raw: TargetLogEvent): LabEvent | null {
    return labEventFromPeerLine(raw, this.name);
  }

  async frontReload(): Promise<void> {
    await this.call('POST', '/front-reload', undefined, 'LAB_ERR_TARGET_CONTROL', 'front reload');
  }
}
