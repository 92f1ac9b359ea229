// Target "gunicorn": Gunicorn (Debian's python3-gunicorn, run as `python3 -m gunicorn`) serving the lab's WSGI app
// (targets/peers/gunicorn/lab_app.py, the routes of lab-app.js) with sync or gthread workers, started by its driver
// with a config generated into the run folder. recycle = SIGHUP (Gunicorn's graceful reload); hang detection =
// Gunicorn's `timeout` (the worker heartbeat); shutdown time limit = graceful_timeout; worker recycling after
// max_requests. Faults reach a worker through the WSGI fault agent in faults/wsgi. The scenario's pool settings map
// onto Gunicorn's where they have an equivalent: maxProcesses → workers, pingInterval + pingResponseTime → timeout,
// shutdownTimeLimit → graceful_timeout, periodicRestart.requests → max_requests (all in whole seconds, as Gunicorn
// takes them). No memory limit, no rapid-fail protection (it halts only when a worker fails to boot), one app.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Capability } from './capabilities';
import { TargetError } from './errors';
import { parseSettingsWith } from './settings-check';
import { launchPeer } from './peer-driver';
import { findBinary } from './peer-binaries';
import { poolIntent } from './pool-intent';
import { labPaths } from './repo-paths';
import type { StartedTarget, Target, TargetContext } from './types';

const seconds = (what: string) => z.number().int().min(1).max(3600).describe(what);

export const gunicornSettingsSchema = z
  .strictObject({
    config: z.record(z.string(), z.unknown()).optional().describe("the scenario's w3 config (pool settings)"),
    workers: z
      .number()
      .int()
      .min(1)
      .max(16)
      .optional()
      .describe("worker processes (default: the pool's maxProcesses, else Gunicorn's 1)"),
    workerClass: z.enum(['sync', 'gthread']).default('sync').describe("worker_class (Gunicorn's default: sync)"),
    threads: z.number().int().min(1).max(64).default(1).describe('threads per gthread worker'),
    timeoutS: seconds(
      'timeout: a silent worker is killed after it (default: pingInterval + pingResponseTime, or 30)',
    ).optional(),
    gracefulTimeoutS: seconds('graceful_timeout (default: from shutdownTimeLimit, else 30)').optional(),
    keepaliveS: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(2)
      .describe('keepalive seconds (gthread; sync workers close every connection)'),
    maxRequests: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('max_requests (default: periodicRestart.requests, else 0 = off)'),
    maxRequestsJitter: z.number().int().min(0).default(0).describe('max_requests_jitter'),
    wsgiApp: z
      .string()
      .regex(/^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$/, 'expected module or module:callable')
      .default('lab_app:application'),
    appDir: z.string().min(1).optional().describe("folder the WSGI module is imported from (default: the lab app's)"),
    pool: z.string().min(1).default('app'),
    port: z.number().int().min(0).max(65535).default(0),
    python: z.string().min(1).optional().describe("the Python that runs Gunicorn (default: Debian's /usr/bin/python3)"),
  })
  .refine((s) => s.workerClass === 'gthread' || s.threads === 1, {
    message: 'threads > 1 needs workerClass "gthread" (Gunicorn would switch to gthread on its own)',
    path: ['threads'],
  });
export type GunicornSettings = z.output<typeof gunicornSettingsSchema>;

const BASE_CAPABILITIES: readonly Capability[] = [
  'workers',
  'signal',
  'faults',
  'startupFaults',
  'recycle',
  'shutdownTimeLimit',
  'hangDetection',
];

/**
 * A sync worker beats its heartbeat from the thread that serves requests, so a request that never ends silences it
 * and the timeout kills the worker: stalls are seen. A gthread worker beats from its main loop while requests run on
 * other threads: a zombie there goes unnoticed.
 */
export function gunicornCapabilities(raw: unknown): readonly Capability[] {
  const r = gunicornSettingsSchema.safeParse(raw ?? {});
  const sync = !r.success || r.data.workerClass === 'sync';
  return sync ? [...BASE_CAPABILITIES, 'stallDetection'] : BASE_CAPABILITIES;
}

export function parseGunicornSettings(raw: unknown): GunicornSettings {
  return parseSettingsWith('gunicorn', gunicornSettingsSchema, raw);
}

const wholeSeconds = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000));

/** The driver's settings (what targets/peers/gunicorn/driver.js reads). */
export function gunicornDriverSettings(
  s: GunicornSettings,
  python: string,
  defaultAppDir: string,
): Record<string, unknown> {
  const intent = poolIntent(s.config);
  const ping =
    intent.pingIntervalMs !== undefined || intent.pingResponseTimeMs !== undefined
      ? (intent.pingIntervalMs ?? 0) + (intent.pingResponseTimeMs ?? 0)
      : undefined;
  return {
    python,
    workers: s.workers ?? intent.workers ?? 1,
    workerClass: s.workerClass,
    threads: s.threads,
    timeoutS: s.timeoutS ?? wholeSeconds(ping) ?? 30,
    gracefulTimeoutS: s.gracefulTimeoutS ?? wholeSeconds(intent.shutdownTimeLimitMs) ?? 30,
    keepaliveS: s.keepaliveS,
    maxRequests: s.maxRequests ?? intent.requests ?? 0,
    maxRequestsJitter: s.maxRequestsJitter,
    wsgiApp: s.wsgiApp,
    appDir: s.appDir ? path.resolve(s.appDir) : defaultAppDir,
    port: s.port,
  };
}

/**
 * The Python that can import Gunicorn: the one asked for, else Debian's /usr/bin/python3 (where python3-gunicorn
 * installs it; a python3 first on the PATH may be another installation without it), else python3 on the PATH.
 */
export function findGunicornPython(asked?: string): { python: string; version: string } {
  const candidates = asked ? [asked] : ['/usr/bin/python3', findBinary('python3')].filter((p): p is string => !!p);
  for (const python of [...new Set(candidates)]) {
    const probe = 'import gunicorn; print(gunicorn.__version__)';
    const r = spawnSync(python, ['-c', probe], { encoding: 'utf8', timeout: 15_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  const tried = candidates.length ? candidates.join(', ') : 'no python3 found';
  throw new TargetError(
    'LAB_ERR_TARGET_MISSING',
    `gunicorn: no Python that can import gunicorn (tried ${tried}). ` +
      'Install it with `apt-get install -y python3-gunicorn` ' +
      '(as root), or run `bash scripts/ensure-peers.sh`, which installs every peer the lab needs.',
  );
}

export function createGunicornTarget(): Target {
  return {
    name: 'gunicorn',
    capabilities: (settings) => gunicornCapabilities(settings),
    async setup(ctx: TargetContext): Promise<StartedTarget> {
      const s = parseGunicornSettings(ctx.settings);
      if (ctx.runtime !== 'process') {
        throw new TargetError('LAB_ERR_TARGET_RUNTIME', 'gunicorn runs on the process runtime only');
      }
      const { python, version } = findGunicornPython(s.python);
      const paths = labPaths();
      const settings = gunicornDriverSettings(s, python, path.join(paths.root, 'targets', 'peers', 'gunicorn'));
      if (!fs.existsSync(settings['appDir'] as string)) {
        const dir = String(settings['appDir']);
        throw new TargetError('LAB_ERR_TARGET_SETTINGS', `gunicorn: appDir ${dir} does not exist`);
      }
      const log = ctx.log.child({ target: 'gunicorn' });
      log.info({ python, gunicorn: version }, 'gunicorn found');
      const driver = path.join(paths.root, 'targets', 'peers', 'gunicorn', 'driver.js');
      return launchPeer(ctx, { name: 'gunicorn', driver, settings, startTimeoutMs: 30_000, pool: s.pool }, log);
    },
  };
}
