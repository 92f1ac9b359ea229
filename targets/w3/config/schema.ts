// The w3 config FILE format: the single source of truth for validation, defaults, descriptions, the generated
// JSON Schema (w3-config.schema.json) and SETTINGS.md. Sections live in host-schema.ts, pool-schema.ts and
// application-schema.ts; this module assembles them and attaches the cross-field rules. Parsing with it yields
// durations in ms but paths still as written; load.ts resolves paths and checks the file system.
import { z } from 'zod';
import {
  adminSchema,
  cacheSchema,
  faultInjectionSchema,
  forwardingSchema,
  limitsSchema,
  listenSchema,
  loggingSchema,
  timersSchema,
} from './host-schema';
import { poolSchema } from './pool-schema';
import { applicationSchema } from './application-schema';
import { crossCheck } from './cross-checks';

export const configFileSchema = z
  .strictObject({
    // Lets editors find the JSON Schema ("$schema": "./w3-config.schema.json"); otherwise ignored.
    $schema: z.string().optional().describe('URL or path of the JSON Schema, for editors; ignored by w3.'),
    listen: listenSchema,
    admin: adminSchema,
    logging: loggingSchema,
    faultInjection: faultInjectionSchema,
    limits: limitsSchema,
    timers: timersSchema,
    cache: cacheSchema,
    forwarding: forwardingSchema,
    pools: z.array(poolSchema).min(1, { error: 'at least one pool is required' }).describe('Application pools.'),
    applications: z
      .array(applicationSchema)
      .min(1, { error: 'at least one application is required' })
      .describe('Applications: which pool serves which host + path prefix.'),
  })
  .superRefine(
    (cfg, ctx) => {
      for (const issue of crossCheck(cfg)) {
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, input: cfg });
      }
    },
    // Cross-field rules need a well-formed value; they report once the per-field errors are fixed.
    { when: (payload) => payload.issues.length === 0 },
  )
  .meta({ title: 'w3 configuration', description: 'Configuration file of w3, the IIS-style server system for Node.' });

/** What a config file (or an in-memory config the lab builds) may contain. */
export type W3ConfigFile = z.input<typeof configFileSchema>;
/** The file format after validation and defaults: durations in ms, paths not yet resolved. */
export type W3ConfigParsed = z.output<typeof configFileSchema>;
