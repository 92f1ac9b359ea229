// The JSON Schema of the config file, generated from schema.ts for editors (VS Code "$schema", yaml-language-
// server). It describes the INPUT side: durations appear as number | pattern-checked string and defaults as a
// user would write them. Cross-field rules (unique names, pool references) are not expressible and stay in zod.
import { z } from 'zod';
import { configFileSchema } from './schema';

export function configJsonSchema(): Record<string, unknown> {
  // 'any' keeps generation from throwing should a transform-only node ever appear; today every transform sits
  // behind a pipe whose input side is representable.
  return z.toJSONSchema(configFileSchema, { io: 'input', unrepresentable: 'any' });
}
