// The node-cluster target's settings (a scenario's `targets: { node-cluster: {...} }`): one zod schema with
// defaults and descriptions, and which app module the cluster serves.
import path from 'node:path';
import { z } from 'zod';
import { isPlainObject } from './deep-merge';
import { parseSettingsWith } from './settings-check';
import { memoryLimitGiB } from './w3-config';

export const nodeClusterSettingsSchema = z.strictObject({
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('the scenario\'s w3 config; only the module of the "/" application (else the first) is used as the app'),
  workers: z.number().int().min(1).max(64).default(1).describe('number of cluster workers (WORKERS)'),
  app: z.string().min(1).optional().describe('app module (a Node request listener); relative to the current directory'),
  pool: z.string().min(1).default('app').describe('pool name the workers are reported under'),
  shutdownTimeoutMs: z.number().int().nonnegative().default(5000).describe('forced kill after disconnect(); 0 = never'),
  restartDelayMs: z.number().int().nonnegative().default(0).describe('delay before re-forking a dead worker'),
  memoryLimitGiB: memoryLimitGiB.optional(),
});
export type NodeClusterSettings = z.output<typeof nodeClusterSettingsSchema>;

export function parseNodeClusterSettings(settings: unknown): NodeClusterSettings {
  return parseSettingsWith('node-cluster', nodeClusterSettingsSchema, settings);
}

/** settings.app, else the scenario's "/" application module (else its first module), else lab-app.js. */
export function appModule(s: NodeClusterSettings, labApp: string): string {
  if (s.app) return path.resolve(s.app);
  const apps = s.config?.['applications'];
  if (Array.isArray(apps)) {
    const withModule = apps.filter(
      (a): a is Record<string, unknown> => isPlainObject(a) && typeof a['module'] === 'string',
    );
    const chosen = withModule.find((a) => a['path'] === '/') ?? withModule[0];
    if (chosen) return path.resolve(chosen['module'] as string);
  }
  return labApp;
}
