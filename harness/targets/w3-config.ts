// The configuration the lab generates for a w3 run: a minimal default (one pool "app" serving lab-app.js at "/",
// a free port on loopback, the admin socket and the HTTPERR log in the run folder) deep-merged with the scenario's
// overrides. Only the file format is produced here; w3 validates it when it loads the file.
//
// Unix socket paths are limited to 107 bytes (sun_path is 108 with the NUL), and run folders can be deep: when the
// socket would not fit, it goes to os.tmpdir() under a random name and the target removes it when it stops.
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../faults/spec';
import { deepMerge, isPlainObject, type PlainObject } from './deep-merge';
import { TargetError } from './errors';

/** Margin below the 107 usable bytes of sun_path. */
export const MAX_SOCKET_PATH_BYTES = 100;

/** Shared by the targets' settings: a memory quota, which only a container can enforce. */
export const memoryLimitGiB = z
  .number()
  .positive()
  .max(64)
  .describe('runtime "container" only: memory quota of the container in GiB (0.25 = 256 MiB), without swap; the kernel OOM-kills inside it');

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
  if (!r.success) throw new TargetError('LAB_ERR_TARGET_SETTINGS', `w3 target settings: ${describeIssues(r.error, 'settings')}`);
  return r.data;
}

export interface SocketChoice {
  path: string;
  /** True when it lives outside the run folder and must be removed by the target. */
  temporary: boolean;
}

export function adminSocketPath(runDir: string, random: () => string = () => crypto.randomBytes(6).toString('hex')): SocketChoice {
  const inRun = path.join(runDir, 'w3-admin.sock');
  if (Buffer.byteLength(inRun) <= MAX_SOCKET_PATH_BYTES) return { path: inRun, temporary: false };
  return { path: path.join(os.tmpdir(), `w3lab-${random()}.sock`), temporary: true };
}

export interface GeneratedW3Config {
  config: PlainObject;
  adminSocket: string;
  temporarySocket: boolean;
}

export function buildW3Config(runDir: string, labApp: string, overrides?: PlainObject, random?: () => string): GeneratedW3Config {
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
  if (typeof given !== 'string' || given === socket.path) return { config, adminSocket: socket.path, temporarySocket: socket.temporary };
  // The scenario chose its own socket (relative paths resolve against the config file's folder, as in w3).
  const chosen = path.resolve(runDir, given);
  if (Buffer.byteLength(chosen) > MAX_SOCKET_PATH_BYTES + 7) {
    throw new TargetError('LAB_ERR_TARGET_SETTINGS', `settings.config.admin.socket: ${chosen} is longer than a Unix socket path may be (107 bytes)`);
  }
  return { config, adminSocket: chosen, temporarySocket: false };
}
