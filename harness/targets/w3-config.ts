// The configuration the lab generates for a w3 run: a minimal default (one pool "app" serving lab-app.js at "/",
// a free port on loopback, the admin socket and the HTTPERR log in the run folder) deep-merged with the scenario's
// overrides. The file is produced here; checkW3Settings validates it with w3's own config loader before a run
// (this adapter is the one place in the lab that knows w3's config schema).
//
// Unix socket paths are limited to 107 bytes (sun_path is 108 with the NUL), and run folders can be deep: when the
// socket would not fit, it goes to os.tmpdir() under a random name and the target removes it when it stops.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../faults/spec';
import { deepMerge, isPlainObject, type PlainObject } from './deep-merge';
import { ConfigError, parseConfig } from '../../targets/w3/config';
import { TargetError } from './errors';
import type { SettingsCheck } from './types';

/** Margin below the 107 usable bytes of sun_path. */
export const MAX_SOCKET_PATH_BYTES = 100;

/** Shared by the targets' settings: a memory quota, which only a container can enforce. */
export const memoryLimitGiB = z
  .number()
  .positive()
  .max(64)
  .describe(
    'runtime "container" only: memory quota of the container in GiB (0.25 = 256 MiB), without swap; ' +
      'the kernel OOM-kills inside it',
  );

export const w3SettingsSchema = z.strictObject({
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('w3 configuration overrides, deep-merged into the generated config (arrays replace)'),
  memoryLimitGiB: memoryLimitGiB.optional(),
});
export type W3Settings = z.output<typeof w3SettingsSchema>;

export function parseW3Settings(settings: unknown): W3Settings {
  const r = w3SettingsSchema.safeParse(settings ?? {});
  if (!r.success)
    throw new TargetError('LAB_ERR_TARGET_SETTINGS', `w3 target settings: ${describeIssues(r.error, 'settings')}`);
  return r.data;
}

export interface SocketChoice {
  path: string;
  /** True when it lives outside the run folder and must be removed by the target. */
  temporary: boolean;
}

export function adminSocketPath(
  runDir: string,
  random: () => string = () => crypto.randomBytes(6).toString('hex'),
): SocketChoice {
  const inRun = path.join(runDir, 'w3-admin.sock');
  if (Buffer.byteLength(inRun) <= MAX_SOCKET_PATH_BYTES) return { path: inRun, temporary: false };
  return { path: path.join(os.tmpdir(), `w3lab-${random()}.sock`), temporary: true };
}

export interface GeneratedW3Config {
  config: PlainObject;
  adminSocket: string;
  temporarySocket: boolean;
}

export function buildW3Config(
  runDir: string,
  labApp: string,
  overrides?: PlainObject,
  random?: () => string,
): GeneratedW3Config {
  const socket = adminSocketPath(runDir, random);
  const defaults: PlainObject = {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { socket: socket.path },
    logging: { httpErrLog: path.join(runDir, 'httperr.log') },
    pools: [{ name: 'app' }],
    applications: [{ path: '/', pool: 'app', module: labApp }],
  };
  const config = deepMerge(defaults, overrides);
  const admin = config['admin'];
  const given = isPlainObject(admin) ? admin['socket'] : undefined;
  if (typeof given !== 'string' || given === socket.path)
    return { config, adminSocket: socket.path, temporarySocket: socket.temporary };
  // The scenario chose its own socket (relative paths resolve against the config file's folder, as in w3).
  const chosen = path.resolve(runDir, given);
  if (Buffer.byteLength(chosen) > MAX_SOCKET_PATH_BYTES + 7) {
    throw new TargetError(
      'LAB_ERR_TARGET_SETTINGS',
      `settings.config.admin.socket: ${chosen} is longer than a Unix socket path may be (107 bytes)`,
    );
  }
  return { config, adminSocket: chosen, temporarySocket: false };
}

/**
 * Preflight of w3 settings: the generated config (defaults + the scenario's `config`) validated exactly as w3 will
 * load it — schema, durations, unknown keys (with "did you mean"), module files — with paths as the scenario has them.
 */
export function checkW3Settings(settings: Record<string, unknown>, labApp: string): SettingsCheck {
  const parsed = w3SettingsSchema.safeParse(settings ?? {});
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
  }
  // A folder that exists stands in for the run folder (socket and log paths resolve against it).
  const dir = os.tmpdir();
  let generated: GeneratedW3Config;
  try {
    generated = buildW3Config(dir, labApp, parsed.data.config);
  } catch (err) {
    return { problems: [{ path: 'config.admin.socket', message: (err as Error).message }] };
  }
  try {
    const config = parseConfig(generated.config, { baseDir: dir });
    return { problems: [], pools: config.pools.map((p) => p.name) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { problems: err.issues.map((i) => ({ path: i.path ? `config.${i.path}` : 'config', message: i.message })) };
  }
}
