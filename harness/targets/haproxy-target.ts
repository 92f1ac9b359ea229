// Target "haproxy": Debian's HAProxy (master-worker) in front of N plain Node backends (targets/peers/haproxy/),
// config generated into the run folder. Capabilities: as nginx, plus health checks — an HTTP check per backend, so a
// hung backend, or one that answers no requests while alive (a zombie), is marked DOWN (hangDetection,
// stallDetection); a reload goes through the master CLI. HAProxy does not restart backends: the driver's
// supervisor does, as a service manager would.
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

export const haproxySettingsSchema = z.strictObject({
  ...backendSettingsShape,
  checkInterMs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("health check interval (default: the pool's pingInterval, else 2000)"),
  checkTimeoutMs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('health check timeout (default: pingResponseTime, else the interval)'),
  checkFall: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('failed checks before DOWN (default 1 when the pool sets pings, else 3)'),
  checkRise: z.number().int().positive().default(2).describe('passed checks before UP'),
  healthPath: z.string().startsWith('/').default('/').describe('path of the HTTP health check'),
  retries: z.number().int().min(0).max(10).default(3).describe('retries (with option redispatch)'),
  timeoutConnectMs: z.number().int().positive().default(5000),
  timeoutClientMs: z.number().int().positive().default(50_000),
  timeoutServerMs: z.number().int().positive().default(50_000),
  bin: z.string().default('haproxy').describe('the haproxy program'),
});
export type HaproxySettings = z.output<typeof haproxySettingsSchema>;

export const HAPROXY_CAPABILITIES: readonly Capability[] = [
  'workers',
  'signal',
  'faults',
  'startupFaults',
  'recycle',
  'shutdownTimeLimit',
  'frontReload',
  'hangDetection',
  'stallDetection',
];

export function parseHaproxySettings(raw: unknown): HaproxySettings {
  return parseSettingsWith('haproxy', haproxySettingsSchema, raw);
}

/** The driver's settings; the health check follows w3's ping settings when the scenario sets them. */
export function haproxyDriverSettings(s: HaproxySettings, bin: string, labApp: string): Record<string, unknown> {
  const intent = poolIntent(s.config);
  const pings = intent.pingIntervalMs !== undefined;
  const interMs = s.checkInterMs ?? intent.pingIntervalMs ?? 2000;
  return {
    ...backendSettings(s, intent, labApp),
    port: s.port,
    bin,
    retries: s.retries,
    healthPath: s.healthPath,
    timeoutConnectMs: s.timeoutConnectMs,
    timeoutClientMs: s.timeoutClientMs,
    timeoutServerMs: s.timeoutServerMs,
    check: {
      interMs,
      timeoutMs: s.checkTimeoutMs ?? intent.pingResponseTimeMs ?? interMs,
      fall: s.checkFall ?? (pings ? 1 : 3),
      rise: s.checkRise,
    },
  };
}

export function createHaproxyTarget(): Target {
  return {
    name: 'haproxy',
    checkSettings: (settings) => checkSettingsWith(haproxySettingsSchema, settings),
    capabilities: () => HAPROXY_CAPABILITIES,
    async setup(ctx: TargetContext): Promise<StartedTarget> {
      const s = parseHaproxySettings(ctx.settings);
      if (ctx.runtime !== 'process')
        throw new TargetError('LAB_ERR_TARGET_RUNTIME', 'haproxy runs on the process runtime only');
      const bin = requireBinary('haproxy', s.bin, 'haproxy');
      const paths = labPaths();
      const settings = haproxyDriverSettings(s, bin, paths.labApp);
      if (!fs.existsSync(settings['app'] as string))
        throw new TargetError(
          'LAB_ERR_TARGET_SETTINGS',
          `haproxy: app module ${String(settings['app'])} does not exist`,
        );
      const driver = path.join(paths.root, 'targets', 'peers', 'haproxy', 'driver.js');
      return launchPeer(
        ctx,
        { name: 'haproxy', driver, settings, startTimeoutMs: 30_000, pool: s.pool },
        ctx.log.child({ target: 'haproxy' }),
      );
    },
  };
}
