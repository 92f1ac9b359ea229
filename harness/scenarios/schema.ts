// The scenario file format (YAML): which target, its configuration overrides, the workload phases, the fault
// schedule and the expectations. One zod schema is the single source of truth: unknown keys are rejected and every
// error names its path. Durations are ms numbers or strings ("500ms", "2s").
import { z } from 'zod';
import { parseDuration } from '../../targets/w3/config/duration';
import { workerFaultSpec, startupFault } from '../../faults/spec';
import { capabilitySchema } from '../targets/capabilities';

const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const requestSpec = z
  .object({
    method: z
      .string()
      .regex(/^[A-Z]+$/, 'an upper-case HTTP method')
      .default('GET'),
    path: z.string().startsWith('/'),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
  })
  .strict();

export const workloadPhase = z
  .object({
    // It names a file of the run folder (workload-NAME.json): no path separator, no leading dot.
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, ".", "_" and "-" (at most 64; no "/")')
      .describe('phase name; tags the requests in history.jsonl'),
    client: z.enum(['tracked', 'autocannon']).default('tracked'),
    start: duration.default(0).describe('offset from the start of the workload'),
    duration: duration.describe('how long the phase runs (bounded: at most 10 minutes)'),
    connections: z.number().int().min(1).max(1000).default(8),
    rate: z.number().positive().optional().describe('overall requests per second (tracked client)'),
    timeout: duration.default(10_000).describe('client timeout per request'),
    requests: z
      .array(requestSpec)
      .min(1)
      .default([{ method: 'GET', path: '/' }]),
  })
  .strict()
  .refine((p) => p.duration > 0 && p.duration <= 600_000, {
    message: 'duration must be > 0 and <= 10m',
    path: ['duration'],
  });

const selector = z
  .union([
    z.enum(['one', 'all']),
    z.object({ count: z.number().int().positive() }).strict(),
    z.object({ percent: z.number().positive().max(100) }).strict(),
  ])
  .default('one');

const trigger = z
  .object({
    at: duration.optional().describe('once, at this offset from the workload start'),
    every: duration.optional().describe('repeatedly, every this long'),
    from: duration.optional().describe('with every: first firing (default = every)'),
    until: duration.optional().describe('with every: no firing after this offset'),
    times: z.number().int().positive().optional().describe('with every: at most this many firings'),
    after: z
      .object({
        event: z.string().min(1),
        pool: z.string().optional(),
        delay: duration.default(0),
        nth: z.number().int().positive().default(1),
      })
      .strict()
      .optional()
      .describe('once, after the nth target event of this type'),
    optional: z
      .boolean()
      .optional()
      .describe('true: a run may still pass when this step fails or never takes effect (otherwise the run is unknown)'),
  })
  .strict();

const actions = z.discriminatedUnion('action', [
  z.object({ action: z.literal('recycle'), pool: z.string().default('app') }).strict(),
  z.object({ action: z.literal('start-pool'), pool: z.string().default('app') }).strict(),
  z
    .object({ action: z.literal('front-reload') })
    .strict()
    .describe('reload the process that owns client connections'),
  z.object({ action: z.literal('stop-pool'), pool: z.string().default('app') }).strict(),
  z
    .object({
      action: z.literal('signal'),
      pool: z.string().default('app'),
      signal: z.enum(['SIGKILL', 'SIGSEGV', 'SIGTERM', 'SIGSTOP', 'SIGCONT', 'SIGABRT']).default('SIGKILL'),
      select: selector,
      duration: duration.optional().describe('SIGSTOP only: SIGCONT after this long (the heal step)'),
    })
    .strict(),
  z
    .object({
      action: z.literal('fault'),
      pool: z.string().default('app'),
      select: selector,
      fault: workerFaultSpec,
      duration: duration.optional().describe('heal after this long (heal also always runs at the end)'),
    })
    .strict(),
  z.object({ action: z.literal('startup-fault'), pool: z.string().default('app'), fault: startupFault }).strict(),
  z.object({ action: z.literal('heal-startup-fault'), pool: z.string().default('app') }).strict(),
  // Container-level faults: only targets running with `--runtime container` can perform them (elsewhere the step
  // fails with LAB_ERR_CAPABILITY and the run's verdict is unknown).
  z
    .object({
      action: z.literal('container-kill'),
      signal: z
        .enum(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP'])
        .default('SIGKILL')
        .describe('sent to the container (its init forwards it to the server)'),
    })
    .strict(),
  z
    .object({
      action: z.literal('container-pause'),
      duration: duration.describe('every process of the target is frozen this long; the unpause (heal) always runs'),
    })
    .strict(),
  z.object({ action: z.literal('container-restart') }).strict(),
  z
    .object({
      action: z.literal('oom'),
      pool: z.string().default('app'),
      select: selector,
      leak: z
        .object({
          rateKBps: z
            .number()
            .positive()
            .default(128 * 1024)
            .describe('how fast the worker leaks (off-heap)'),
          capKB: z
            .number()
            .int()
            .positive()
            .default(2 * 1024 * 1024)
            .describe('leak cap: above the quota, so the kernel acts first'),
        })
        .strict()
        .prefault({}),
      timeout: duration.default(60_000).describe('deadline for the OOM kill and for the replacement worker'),
    })
    .strict()
    .describe(
      'leak into a worker of a target with a memory quota (settings memoryLimitGiB) until the kernel OOM-kills it',
    ),
]);

export const faultStep = z.intersection(trigger, actions).superRefine((s, ctx) => {
  const kinds = [s.at !== undefined, s.every !== undefined, s.after !== undefined].filter(Boolean).length;
  if (kinds !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of at, every, after' });
  if (s.every !== undefined && s.every < 50)
    ctx.addIssue({ code: 'custom', message: 'every must be >= 50ms', path: ['every'] });
  if (s.every !== undefined && s.until === undefined && s.times === undefined)
    ctx.addIssue({ code: 'custom', message: 'every needs until or times (schedules are bounded)', path: ['every'] });
});

export const checkSpec = z
  .object({
    check: z.string().min(1),
    options: z.record(z.string(), z.unknown()).default({}),
    targets: z.array(z.string()).optional().describe('only for these targets'),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case words joined by -'),
    description: z.string().default(''),
    target: z.string().default('w3'),
    requires: z
      .array(capabilitySchema)
      .default([])
      .describe('capabilities a target must have for this scenario to mean anything; else the run is not supported'),
    seed: z.number().int().nonnegative().optional(),
    faultInjection: z.boolean().default(true),
    config: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('w3 configuration overrides (deep-merged; arrays replace)'),
    targets: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .default({})
      .describe('settings per target name (node-cluster: { workers: 2 })'),
    workload: z.array(workloadPhase).min(1),
    faults: z.array(faultStep).default([]),
    settle: duration.default(500).describe('wait after the workload before the target stops (events still arrive)'),
    expect: z.array(checkSpec).min(1),
  })
  .strict();

export type Scenario = z.output<typeof scenarioSchema>;
export type WorkloadPhase = z.output<typeof workloadPhase>;
export type FaultStep = z.output<typeof faultStep>;
