// Fault specs: what can be injected into a worker, validated with zod so a bad spec is rejected with the path and
// the reason. Shared by w3's admin API (POST /pools/:name/workers/:id/faults), the in-worker agent and the lab.
import { z } from 'zod';

const durationMs = z.number().int().nonnegative().describe('milliseconds; 0 = until healed or the worker exits');
const percent = z.number().min(0).max(100);

export const crashFault = z
  .object({
    kind: z.literal('crash'),
    mode: z.enum(['exit', 'signal', 'uncaught-exception', 'unhandled-rejection', 'abort']).default('exit'),
    exitCode: z.number().int().min(0).max(255).default(1),
    signal: z.enum(['SIGKILL', 'SIGSEGV', 'SIGTERM', 'SIGABRT', 'SIGBUS']).default('SIGKILL'),
    delayMs: z.number().int().nonnegative().default(0),
  })
  .strict();

export const hangFault = z
  .object({
    kind: z.literal('hang'),
    /** block-loop: event loop blocked (no pings, no requests). ignore-pings: serves, but pings go unanswered.
     *  stall-requests: pings answered, requests never answered (the zombie IIS cannot see). */
    mode: z.enum(['block-loop', 'ignore-pings', 'stall-requests']).default('block-loop'),
    durationMs: durationMs.default(0),
  })
  .strict();

export const leakFault = z
  .object({
    kind: z.literal('leak'),
    rateKBps: z.number().positive().default(10240),
    capKB: z
      .number()
      .int()
      .positive()
      .default(512 * 1024),
    space: z.enum(['heap', 'offheap']).default('offheap'),
    durationMs: durationMs.default(0),
  })
  .strict();

export const slowFault = z
  .object({
    kind: z.literal('slow'),
    delayMs: z.number().int().positive(),
    percent: percent.default(100),
    durationMs: durationMs.default(0),
  })
  .strict();

export const errorFault = z
  .object({
    kind: z.literal('error'),
    status: z.number().int().min(400).max(599).default(500),
    percent: percent.default(100),
    durationMs: durationMs.default(0),
  })
  .strict();

export const cpuSpinFault = z
  .object({
    kind: z.literal('cpu-spin'),
    /** Share of each 100 ms slice spent spinning. */
    dutyPercent: percent.default(100),
    durationMs: durationMs.default(0),
  })
  .strict();

export const shutdownHangFault = z.object({ kind: z.literal('shutdown-hang') }).strict();

/** Faults for workers that have not started yet: set on a pool, taken by the next workers it starts. */
export const startupFault = z
  .object({
    kind: z.literal('startup'),
    mode: z.enum(['crash', 'hang']),
    /** How many future worker starts are affected; 0 = all until healed. */
    count: z.number().int().nonnegative().default(0),
  })
  .strict();

export const workerFaultSpec = z.discriminatedUnion('kind', [
  crashFault,
  hangFault,
  leakFault,
  slowFault,
  errorFault,
  cpuSpinFault,
  shutdownHangFault,
]);
export type WorkerFaultSpec = z.infer<typeof workerFaultSpec>;
export type StartupFaultSpec = z.infer<typeof startupFault>;

/** Formats zod issues as "path: reason; path: reason". */
export function describeIssues(error: z.ZodError, root = ''): string {
  return error.issues
    .map((i) => {
      const p = [root, ...i.path.map(String)].filter((s) => s !== '').join('.');
      return `${p || '(root)'}: ${i.message}`;
    })
    .join('; ');
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseWorkerFault(input: unknown): ParseResult<WorkerFaultSpec> {
  const r = workerFaultSpec.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: describeIssues(r.error, 'fault') };
}

export function parseStartupFault(input: unknown): ParseResult<StartupFaultSpec> {
  const r = startupFault.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: describeIssues(r.error, 'fault') };
}
