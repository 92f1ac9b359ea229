// Target "nginx": Debian's nginx in front of N plain Node backends (targets/peers/nginx/), started by its driver
// with a config generated into the run folder. Capabilities: the backends' worker list, signals and in-worker
// faults, a rolling restart of the backends (recycle), their stop time limit, and `nginx -s reload` (frontReload).
// No health checks (nginx OSS only notices a failed backend passively), no memory limits, no rapid-fail.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Capability } from './capabilities';
import { TargetError } from './errors';
import { backendSettings, backendSettingsShape } from './front-proxy-settings';
import { launchPeer } from './peer-driver';
import { checkSettingsWith, parseSettingsWith } from './settings-check';
import { requireBinary } from './peer-binaries';
import { poolIntent } from './pool-intent';
import { labPaths } from './repo-paths';
import type { StartedTarget, Target, TargetContext } from './types';

export const nginxSettingsSchema = z.strictObject({
  ...backendSettingsShape,
  workerProcesses: z.number().int().min(1).max(8).default(1).describe('nginx worker_processes'),
  keepalive: z
    .number()
    .int()
    .min(0)
    .max(1024)
    .default(32)
    .describe('idle keep-alive connections kept per nginx worker to the backends'),
  maxFails: z.number().int().min(0).default(1).describe('upstream max_fails'),
  failTimeoutS: z.number().int().min(1).default(10).describe('upstream fail_timeout (seconds)'),
  bin: z.string().default('nginx').describe('the nginx program'),
});
export type NginxSettings = z.output<typeof nginxSettingsSchema>;

export const NGINX_CAPABILITIES: readonly Capability[] = [
  'workers',
  'signal',
  'faults',
  'startupFaults',
  'recycle',
  'shutdownTimeLimit',
  'frontReload',
];

export function parseNginxSettings(raw: unknown): NginxSettings {
  return parseSettingsWith('nginx', nginxSettingsSchema, raw);
}

/** The driver's settings (what targets/peers/nginx/front.js reads). */
export function nginxDriverSettings(s: NginxSettings, bin: string, labApp: string): Record<string, unknown> {
  return {
    ...backendSettings(s, poolIntent(s.config), labApp),
    port: s.port,
    bin,
    workerProcesses: s.workerProcesses,
    keepalive: s.keepalive,
    maxFails: s.maxFails,
    failTimeoutS: s.failTimeoutS,
  };
}

export function createNginxTarget(): Target {
  return {
    name: 'nginx',
    checkSettings: (settings) => checkSettingsWith(nginxSettingsSchema, settings),
    capabilities: () => NGINX_CAPABILITIES,
    async setup(ctx: TargetContext): Promise<StartedTarget> {
      const s = parseNginxSettings(ctx.settings);
      if (ctx.runtime !== 'process')
        throw new TargetError('LAB_ERR_TARGET_RUNTIME', 'nginx runs on the process runtime only');
      const bin = requireBinary('nginx', s.bin, 'nginx');
      const paths = labPaths();
      const settings = nginxDriverSettings(s, bin, paths.labApp);
      if (!fs.existsSync(settings['app'] as string))
        throw new TargetError('LAB_ERR_TARGET_SETTINGS', `nginx: app module ${String(settings['app'])} does not exist`);
      const driver = path.join(paths.root, 'targets', 'peers', 'nginx', 'driver.js');
      return launchPeer(
        ctx,
        { name: 'nginx', driver, settings, startTimeoutMs: 30_000, pool: s.pool },
        ctx.log.child({ target: 'nginx' }),
      );
    },
  };
}
