// Preflight of a target whose settings are one zod schema with a `pool` (node-cluster and the peers): the problems
// with dotted paths, and the single pool it reports its workers under.
import type { z } from 'zod';
import type { SettingsCheck } from './types';

export function checkSettingsWith(
  schema: z.ZodType<{ pool: string }>,
  settings: Record<string, unknown>,
): SettingsCheck {
  const r = schema.safeParse(settings ?? {});
  if (!r.success)
    return { problems: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
  return { problems: [], pools: [r.data.pool] };
}
