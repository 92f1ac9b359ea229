// The targets the lab knows by name (`--target`, a scenario's `target:`). Each lookup builds a fresh Target, so
// nothing is shared between runs.
import { TargetError } from './errors';
import { createNodeClusterTarget } from './node-cluster-target';
import { createNginxTarget } from './nginx-target';
import { createPm2Target } from './pm2-target';
import { createHaproxyTarget } from './haproxy-target';
import { createGunicornTarget } from './gunicorn-target';
import type { Target } from './types';
import { createW3Target } from './w3-target';

const FACTORIES: Record<string, () => Target> = {
  w3: createW3Target,
  'node-cluster': createNodeClusterTarget,
  pm2: createPm2Target,
  nginx: createNginxTarget,
  haproxy: createHaproxyTarget,
  gunicorn: createGunicornTarget,
};

const BUILT_IN = new Set(Object.keys(FACTORIES));

/**
 * Adds a target under `name` (lower-case words joined by "-"), for scenarios' `target:` and `runScenario`'s
 * `target` option: `factory` makes a fresh Target for each run. Built-in names cannot be replaced; registering the
 * same factory again is a no-op.
 */
export function registerTarget(name: string, factory: () => Target): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new TargetError('LAB_ERR_TARGET_NAME', `target name "${name}": use lower-case words joined by -`);
  const existing = Object.prototype.hasOwnProperty.call(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (existing === factory) return;
  if (existing) {
    const why = BUILT_IN.has(name) ? 'a built-in target has that name' : 'another target was registered under it';
    throw new TargetError('LAB_ERR_TARGET_NAME', `target name "${name}" is taken: ${why}`);
  }
  FACTORIES[name] = factory;
}

export function targetNames(): string[] {
  return Object.keys(FACTORIES);
}

/** Throws TargetError LAB_ERR_UNKNOWN_TARGET (listing the known names) for an unknown name. */
export function getTarget(name: string): Target {
  const factory = Object.prototype.hasOwnProperty.call(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (!factory) {
    throw new TargetError(
      'LAB_ERR_UNKNOWN_TARGET',
      `unknown target "${name}"; known targets: ${targetNames().join(', ')}`,
    );
  }
  return factory();
}
