// Where a started target runs, read from its free-form runtimeDetails (written to run.json as they are).
import type { StartedTarget } from './types';

/** "process" unless the target says otherwise ("container", ...). */
export function runtimeOf(target: Pick<StartedTarget, 'runtimeDetails'>): string {
  const runtime = target.runtimeDetails?.['runtime'];
  return typeof runtime === 'string' ? runtime : 'process';
}
