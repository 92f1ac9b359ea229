// Settings of a target that are one zod schema (node-cluster and the peers): parsing them for setup (every problem in
// one error), and preflight with a `pool`: the problems with dotted paths, and the single pool it reports its
// workers under.
import type { z } from 'zod';
import { describeIssues } from '../../faults/spec';
import { TargetError } from './errors';
import type { SettingsCheck } from './types';

/** The settings parsed with the target's schema, or a LAB_ERR_TARGET_SETTINGS error listing every problem. */
export function parseSettingsWith<S extends z.ZodType>(target: string, schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return r.data;
  throw new TargetError('LAB_ERR_TARGET_SETTINGS', `${target} target settings: ${describeIssues(r.error, 'settings')}`);
}

export function checkSettingsWith(
  schema: z.ZodType<{ pool: string }>,
  settings: Record<string, unknown>,
): SettingsCheck {
  const r = schema.safeParse(settings ?? {});
  if (!r.success)
    return { problems: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
  return { problems: [], pools: [r.data.pool] };
}
