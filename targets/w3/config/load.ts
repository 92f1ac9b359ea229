// Loading a w3 config: read the file (JSON or YAML), validate it against schema.ts, resolve its relative paths
// against the file's folder, check the files it names exist, and return the normalised W3Config. Every failure,
// including a missing file or a syntax error, is a ConfigError naming the file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { configFileSchema, type W3ConfigParsed } from './schema';
import { ConfigError, issuesFromZod, type ConfigIssue } from './errors';
import { normaliseAppPath, normaliseHost } from './cross-checks';
import { resolveDirectory, resolveModule, resolveSocketPath, type Resolved } from './resolve-paths';
import type { ApplicationConfig, W3Config } from './types';

export { mergeConfig } from './merge';

export interface ParseOptions {
  /** Folder relative paths resolve against (normally the config file's folder). */
  baseDir: string;
  /** The file the value came from, for messages and W3Config.file. */
  file?: string | null;
}

/** Validates `raw` (the file format: a parsed JSON/YAML value or an object built in memory) and normalises it. */
export function parseConfig(raw: unknown, opts: ParseOptions): W3Config {
  const file = opts.file ? path.resolve(opts.file) : null;
  const baseDir = path.resolve(opts.baseDir);
  const result = configFileSchema.safeParse(raw);
  if (!result.success)
    throw new ConfigError(file, issuesFromZod(result.error, configFileSchema), { cause: result.error });
  const issues: ConfigIssue[] = [];
  const config = normalise(result.data, file, baseDir, issues);
  if (issues.length > 0) throw new ConfigError(file, issues);
  return config;
}

/** Reads and parses a .json, .yaml or .yml config file; relative paths in it resolve against its folder. */
export function loadConfig(file: string): W3Config {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read file (${String(err)})`;
    throw new ConfigError(abs, [{ path: '', message: reason }], { cause: err });
  }
  return parseConfig(parseText(text, abs), { baseDir: path.dirname(abs), file: abs });
}

function parseText(text: string, file: string): unknown {
  const ext = path.extname(file).toLowerCase();
  const body = text.replace(/^\uFEFF/, ''); // editors on Windows write a BOM; JSON.parse rejects it
  if (ext === '.json') {
    try {
      return JSON.parse(body);
    } catch (err) {
      throw new ConfigError(file, [{ path: '', message: `JSON syntax error: ${jsonErrorWhere(err, body)}` }], {
        cause: err,
      });
    }
  }
  if (ext === '.yaml' || ext === '.yml') {
    try {
      // YAML 1.2 core schema (the library default): "00:01:30" and "yes" stay strings, as a user expects.
      return YAML.parse(body);
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new ConfigError(file, [{ path: '', message: `YAML syntax error: ${msg}` }], { cause: err });
    }
  }
  throw new ConfigError(file, [{ path: '', message: `unknown config file type "${ext}" (use .json, .yaml or .yml)` }]);
}

/** V8's message on one line (it may quote the offending text, newlines included), with a line and column added
 *  when it gives only a character position. */
function jsonErrorWhere(err: unknown, text: string): string {
  const msg = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
  if (/line \d+/.test(msg)) return msg;
  const m = /at position (\d+)/.exec(msg);
  // "Unexpected end of JSON input" carries no position: the error is where the text ends.
  const at = m ? Number(m[1]) : /end of JSON input/.test(msg) ? text.trimEnd().length : null;
  if (at === null) return msg;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${msg} (line ${line} column ${column})`;
}

function take(r: Resolved, issues: ConfigIssue[], at: string): string | null {
  if (r.ok) return r.path;
  issues.push({ path: at, message: r.message });
  return null;
}

function normalise(c: W3ConfigParsed, file: string | null, baseDir: string, issues: ConfigIssue[]): W3Config {
  const socket = take(resolveSocketPath(c.admin.socket, baseDir), issues, 'admin.socket') ?? '';
  const applications = c.applications.map((app, i): ApplicationConfig => {
    const at = `applications.${i}`;
    return {
      path: normaliseAppPath(app.path),
      host: normaliseHost(app.host),
      pool: app.pool,
      module: app.module === undefined ? null : take(resolveModule(app.module, baseDir), issues, `${at}.module`),
      command: app.command ?? null,
      cwd: app.cwd === undefined ? baseDir : (take(resolveDirectory(app.cwd, baseDir), issues, `${at}.cwd`) ?? ''),
      env: { ...app.env },
      healthPath: app.healthPath ?? null,
    };
  });
  return {
    file,
    baseDir,
    listen: { ...c.listen },
    admin: { socket, tcp: c.admin.tcp ? { ...c.admin.tcp } : null },
    logging: {
      level: c.logging.level,
      httpErrLog: c.logging.httpErrLog === null ? null : path.resolve(baseDir, c.logging.httpErrLog),
      accessLog: c.logging.accessLog,
      httpErrLogTruncateSize: c.logging.httpErrLogTruncateSize,
      hostLog: c.logging.hostLog === null ? null : path.resolve(baseDir, c.logging.hostLog),
      hostLogTruncateSize: c.logging.hostLogTruncateSize,
      maxLogFiles: c.logging.maxLogFiles,
    },
    faultInjection: { enabled: c.faultInjection.enabled, token: c.faultInjection.token ?? null },
    // HTTP.sys lowers MaxFieldLength to MaxRequestBytes when the latter is smaller; doing it here means the
    // listener has one number to check per header.
    limits: { ...c.limits, maxFieldLength: Math.min(c.limits.maxFieldLength, c.limits.maxRequestBytes) },
    timers: { ...c.timers },
    cache: { ...c.cache },
    forwarding: { addHeaders: c.forwarding.addHeaders, trustedProxies: [...c.forwarding.trustedProxies] },
    // The pool schema's output is PoolConfig field for field (checked by the compiler via this assignment).
    pools: c.pools,
    applications,
  };
}
