// Target "pm2": PM2 (npm `pm2`, a devDependency) running the lab app in cluster mode with N instances
// (targets/peers/pm2/driver.js; PM2's God runs inside the driver in no-daemon mode with a private PM2_HOME in the
// run folder, so no PM2 daemon survives a run or an interrupted one). recycle = PM2's graceful reload; memory
// recycle = max_memory_restart (checked every workerIntervalMs); rapid-fail analogue = min_uptime + max_restarts.
// The scenario's pool settings map onto PM2's: maxProcesses → instances, shutdownTimeLimit → kill_timeout,
// privateMemory → max_memory_restart, rapidFailProtectionMaxCrashes → max_restarts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { Capability } from './capabilities';
import { TargetError } from './errors';
import { appModule, type NodeClusterSettings } from './node-cluster-settings';
import { launchPeer } from './peer-driver';
import { checkSettingsWith, parseSettingsWith } from './settings-check';
import { poolIntent } from './pool-intent';
import { labPaths } from './repo-paths';
import type { StartedTarget, Target, TargetContext } from './types';

export const pm2SettingsSchema = z.strictObject({
  config: z.record(z.string(), z.unknown()).optional().describe("the scenario's w3 config (app module, pool settings)"),
  instances: z
    .number()
    .int()
    .min(1)
    .max(16)
    .optional()
    .describe("cluster instances (default: the pool's maxProcesses, else 1)"),
  app: z.string().min(1).optional(),
  pool: z.string().min(1).default('app'),
  port: z.number().int().min(0).max(65535).default(0),
  killTimeoutMs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("kill_timeout (default: shutdownTimeLimit, else PM2's 1600)"),
  listenTimeoutMs: z.number().int().positive().default(3000).describe('listen_timeout (PM2 default 3000)'),
  minUptimeMs: z.number().int().positive().default(1000).describe('min_uptime (PM2 default 1000)'),
  maxRestarts: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('max_restarts (default: rapidFailProtectionMaxCrashes, else 16)'),
  maxMemoryRestart: z
    .string()
    .regex(/^\d+[KMG]?$/)
    .optional()
    .describe('max_memory_restart (default: from privateMemory)'),
  workerIntervalMs: z
    .number()
    .int()
    .min(100)
    .default(1000)
    .describe('PM2_WORKER_INTERVAL: how often PM2 checks memory (PM2 default 30000)'),
});
export type Pm2Settings = z.output<typeof pm2SettingsSchema>;

export const PM2_CAPABILITIES: readonly Capability[] = [
  'workers',
  'signal',
  'faults',
  'startupFaults',
  'recycle',
  'shutdownTimeLimit',
  'memoryRecycle',
  'rapidFailProtection',
];

export function parsePm2Settings(raw: unknown): Pm2Settings {
  return parseSettingsWith('pm2', pm2SettingsSchema, raw);
}

export function pm2DriverSettings(s: Pm2Settings, labApp: string): Record<string, unknown> {
  const intent = poolIntent(s.config);
  return {
    instances: s.instances ?? intent.workers ?? 1,
    app: appModule({ app: s.app, config: s.config } as NodeClusterSettings, labApp),
    port: s.port,
    killTimeoutMs: s.killTimeoutMs ?? intent.shutdownTimeLimitMs ?? 1600,
    listenTimeoutMs: s.listenTimeoutMs,
    minUptimeMs: s.minUptimeMs,
    maxRestarts: s.maxRestarts ?? intent.rapidFail?.maxCrashes ?? 16,
    maxMemoryRestart: s.maxMemoryRestart ?? (intent.privateMemoryKB ? `${intent.privateMemoryKB}K` : undefined),
    workerIntervalMs: s.workerIntervalMs,
  };
}

/** PM2's sockets live in PM2_HOME: a Unix socket path must stay under ~100 bytes, else a short temp folder is used. */
function pm2Home(runDir: string): string {
  const inRun = path.join(runDir, 'pm2-home');
  if (Buffer.byteLength(path.join(inRun, 'interactor.sock')) < 100) return inRun;
  return fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-pm2-'));
}

export function createPm2Target(): Target {
  return {
    name: 'pm2',
    checkSettings: (settings) => checkSettingsWith(pm2SettingsSchema, settings),
    capabilities: () => PM2_CAPABILITIES,
    async setup(ctx: TargetContext): Promise<StartedTarget> {
      const s = parsePm2Settings(ctx.settings);
      if (ctx.runtime !== 'process')
        throw new TargetError('LAB_ERR_TARGET_RUNTIME', 'pm2 runs on the process runtime only');
      const paths = labPaths();
      try {
        require.resolve('pm2', { paths: [paths.root] });
      } catch {
        throw new TargetError(
          'LAB_ERR_TARGET_MISSING',
          'pm2: the npm package "pm2" is not installed: run `npm install` (it is a devDependency)',
        );
      }
      const settings: Record<string, unknown> = { ...pm2DriverSettings(s, paths.labApp), pm2Home: pm2Home(ctx.runDir) };
      if (!fs.existsSync(settings['app'] as string))
        throw new TargetError('LAB_ERR_TARGET_SETTINGS', `pm2: app module ${String(settings['app'])} does not exist`);
      const driver = path.join(paths.root, 'targets', 'peers', 'pm2', 'driver.js');
      return launchPeer(
        ctx,
        { name: 'pm2', driver, settings, startTimeoutMs: 30_000, pool: s.pool },
        ctx.log.child({ target: 'pm2' }),
      );
    },
  };
}
