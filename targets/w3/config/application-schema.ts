// File-format schema of one application: a (host, path prefix) binding to a pool and what the pool's workers
// run for it, either an in-process module or a command (docs/architecture.md). "Exactly one of module /
// command" and the references to pools are cross-field rules, checked in cross-checks.ts.
import { z } from 'zod';

// A routing prefix, not a URL: no query/fragment, no whitespace, no dot segments (they would never match a
// normalised request path and usually mean a copy-paste mistake).
const URL_PATH = /^\/(?:[^\s?#/]+(?:\/|$))*$/; // a segment ends at "/" or the end: linear time
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
// Keys that spawn() can pass on every platform.
const ENV_NAME = /^[^=\0]+$/;

function urlPath(what: string) {
  return z
    .string()
    .regex(URL_PATH, {
      error: (iss) => `bad ${what} ${JSON.stringify(iss.input)} (must start with "/", no "?", "#", "//" or spaces)`,
    })
    .refine((p) => !DOT_SEGMENT.test(p), { error: `${what} must not contain "." or ".." segments` });
}

export const applicationSchema = z
  .strictObject({
    path: urlPath('path').describe('URL path prefix, starting with "/"; matched on segment boundaries, longest first.'),
    host: z
      .string()
      .regex(HOST_NAME, {
        error: (iss) => `bad host ${JSON.stringify(iss.input)} (a host name without scheme or port)`,
      })
      .nullable()
      .optional()
      .describe('Host name to match (case-insensitive, without port); absent or null matches any host.'),
    pool: z.string().min(1).describe('Name of the pool whose workers serve this application.'),
    module: z
      .string()
      .min(1)
      .optional()
      .describe(
        'In-process mode: module exporting a Node request listener (req, res) => void; a path relative to the ' +
          'config file folder or a package name resolvable from there. Exactly one of module / command.',
      ),
    command: z
      .array(z.string().min(1))
      .min(1, { error: 'must name a program (non-empty argv)' })
      .optional()
      .describe(
        'Command mode: argv of a program (any language) that listens on 127.0.0.1:$PORT; the program is the ' +
          'worker, so its pool serves no other application. Exactly one of module / command.',
      ),
    cwd: z
      .string()
      .min(1)
      .optional()
      .describe('Working directory of the worker, relative to the config file folder (default: that folder).'),
    env: z
      .record(z.string().regex(ENV_NAME, { error: 'bad environment variable name' }), z.string())
      .optional()
      .describe('Extra environment variables for the worker. PORT is reserved in command mode.'),
    healthPath: urlPath('healthPath')
      .optional()
      .describe('Command mode: HTTP path probed for readiness and pings; absent = TCP connect only.'),
  })
  .describe('An application: a host + path prefix served by a pool.');
