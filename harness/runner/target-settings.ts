// What a target is given from a scenario: the scenario's w3 config (application module paths resolved against the
// scenario file, because the target writes its own config elsewhere) plus the scenario's settings block for it.
import path from 'node:path';
import type { Scenario } from '../scenarios/schema';

/** What the target is given: the scenario's w3 config (module paths resolved) and its own settings block. */
export function targetSettings(sc: Scenario, scenarioFile: string, targetName: string): Record<string, unknown> {
  return { config: resolveModulePaths(sc.config, path.dirname(scenarioFile)), ...(sc.targets[targetName] ?? {}) };
}

/**
 * Application module paths in a scenario are relative to the scenario file (the target writes its config elsewhere).
 */
function resolveModulePaths(config: Record<string, unknown>, dir: string): Record<string, unknown> {
  const apps = config['applications'];
  if (!Array.isArray(apps)) return config;
  return {
    ...config,
    applications: apps.map((a: unknown) => {
      const app = a as Record<string, unknown>;
      const m = app['module'];
      return typeof m === 'string' && (m.startsWith('./') || m.startsWith('../'))
        ? { ...app, module: path.resolve(dir, m) }
        : app;
    }),
  };
}
