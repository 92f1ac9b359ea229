// The w3 commands of the `w3lab` CLI: `serve` runs a host in the foreground; `status`, `recycle`, `start`, `stop`
// and `reload` talk to a running host through its admin socket. Errors carry an exit code; only main() exits
// (and serve's stop deadline, below).
//
// The fault token never appears on a command line (any user can read another's argv with ps): serve takes it from
// $W3_FAULT_TOKEN or from a file (--fault-token-file), and workers never inherit it. Without a token the fault
// routes need only admin access (the 0600 socket). Fault injection loads this package's lab plugin
// (faults/w3-plugin) or the module named by $W3_FAULT_PLUGIN — only when it is enabled.
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { W3Host } from '../host';
import { loadConfig } from '../config';
import { AdminClient } from '../admin/admin-client';
import { createHostLogger, type HostLogger } from '../util/logger';
import { compiled } from '../util/compiled-path';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const DEFAULT_CONFIG = 'w3.json';

interface ServeOptions {
  config: string;
  port?: string;
  enableFaults?: boolean;
  faultToken?: string;
  faultTokenFile?: string;
  logLevel?: string;
  /** false (`--no-watch-parent`): keep serving when the process that started w3 is gone. */
  watchParent?: boolean;
}

/** The lab's fault plugin, shipped in this package; loaded only when fault injection is enabled. */
const LAB_FAULT_PLUGIN = 'faults/w3-plugin/host';
/** Beyond the host's own stop bound (longest shutdownTimeLimit + reaping + flush grace). */
const STOP_DEADLINE_SLACK_MS = 5000;
/**
 * After a graceful stop, how long the exit waits for the host log to be written without blocking. Only a reader of
 * stdout that reads nothing can make it wait that long; the exit hook's bounded synchronous flush then takes over.
 */
const LOG_FLUSH_LIMIT_MS = 2000;

/** --fault-token is refused before anything else is read: the user learns the alternatives whatever else is wrong. */
function refuseTokenOnCommandLine(opts: ServeOptions): void {
  if (opts.faultToken !== undefined) {
    throw new CliError(
      '--fault-token is not accepted: a token on the command line is visible to every user (ps); set W3_FAULT_TOKEN ' +
        'or use --fault-token-file FILE',
      254,
    );
  }
}

/** Token from --fault-token-file, else $W3_FAULT_TOKEN (removed from the environment once read), else the config's. */
function faultToken(opts: ServeOptions, fromConfig: string | null | undefined): string | null {
  const env = process.env['W3_FAULT_TOKEN'];
  delete process.env['W3_FAULT_TOKEN'];
  if (opts.faultTokenFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(opts.faultTokenFile, 'utf8').trim();
    } catch (err) {
      throw new CliError(`--fault-token-file: ${(err as Error).message}`, 254);
    }
    if (!text) throw new CliError(`--fault-token-file: ${opts.faultTokenFile} is empty`, 254);
    return text;
  }
  if (env) return env;
  return fromConfig ?? null;
}

/**
 * The host's logs are asynchronous: what is still buffered is written synchronously when the process exits (every
 * exit path of the CLI goes through process.exit) and when it crashes (the uncaught-exception monitor runs before
 * Node ends the process). A SIGKILL loses at most the lines the kernel had not taken yet.
 */
function flushLogsOnExit(hostLog: HostLogger, host: () => W3Host | null): void {
  const flush = (): void => {
    host()?.flushLogsSync();
    hostLog.destination.flushSync();
  };
  process.once('exit', flush);
  process.on('uncaughtExceptionMonitor', (err) => {
    hostLog.log.fatal({ err: err instanceof Error ? err.stack : String(err) }, 'uncaught exception: the host ends');
    flush();
  });
}

function faultPlugin(): string {
  return process.env['W3_FAULT_PLUGIN'] ?? compiled(LAB_FAULT_PLUGIN);
}

export async function serve(opts: ServeOptions): Promise<W3Host> {
  refuseTokenOnCommandLine(opts);
  const file = path.resolve(opts.config);
  let config;
  try {
    config = loadConfig(file);
  } catch (err) {
    throw new CliError((err as Error).message, 254);
  }
  if (opts.port !== undefined) {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new CliError(`--port: not a port number: ${opts.port}`, 254);
    config.listen.port = port;
  }
  const l = config.logging;
  const hostLog = createHostLogger({
    level: opts.logLevel ?? l.level,
    file: l.hostLog,
    truncateSize: l.hostLogTruncateSize,
    keep: l.maxLogFiles,
  });
  const log = hostLog.log;
  const token = faultToken(opts, config.faultInjection.token);
  const enabled = opts.enableFaults === true || config.faultInjection.enabled;
  const faultInjection = { enabled, token, ...(enabled ? { plugin: faultPlugin() } : {}) };
  let host: W3Host | null = null;
  flushLogsOnExit(hostLog, () => host);
  try {
    host = await W3Host.start(config, { log, faultInjection });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const userError = [
      'W3_ERR_CONFIG',
      'W3_ERR_ADMIN_SOCKET_IN_USE',
      'W3_ERR_ADMIN_SOCKET_PATH',
      'W3_ERR_FAULT_PLUGIN',
    ];
    throw new CliError(e.message, userError.includes(String(e.code)) ? 254 : 255);
  }
  if (enabled && token === null)
    log.warn('fault injection is enabled without a token: admin access alone allows faults');
  const running: W3Host = host;
  process.stderr.write(
    `w3 listening on http://${running.address.host}:${running.address.port} (admin socket ${running.adminSocket})\n`,
  );
  let stopping = false;
  const shutdown = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, 'shutting down');
    const since = Date.now();
    // Whatever state requests or timers are in, one signal ends the process: at the deadline the workers are
    // killed and the host exits 1 (a graceful stop exits 0 well before it).
    const deadline = running.stopDeadlineMs() + STOP_DEADLINE_SLACK_MS;
    setTimeout(() => {
      log.error({ deadlineMs: deadline }, 'stop did not finish in time: killing workers and exiting');
      running.killWorkers();
      process.exit(1);
    }, deadline);
    void running.stop().then(
      async () => {
        // The exit comes as soon as the last line is written: every line reaches the file (or the reader) whole
        // and in order, none is left to the exit hook.
        log.info({ stopMs: Date.now() - since }, 'stopped');
        await Promise.race([hostLog.destination.flush(), new Promise((r) => setTimeout(r, LOG_FLUSH_LIMIT_MS))]);
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err: String(err) }, 'stop failed');
        running.killWorkers();
        process.exit(1);
      },
    );
  };
  // Handlers stay installed: a second signal during the stop is ignored rather than killing the host mid-drain.
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => void running.reload());
  // Started by a parent with an IPC channel (the lab does this): never outlive it.
  if (process.send) process.once('disconnect', () => shutdown('parent-disconnected'));
  else if (opts.watchParent !== false) watchParent(() => shutdown('parent-gone'));
  return running;
}

/**
 * Under `npx w3lab serve` (npm exec), stops w3 when npm or the shell between it and w3 is gone. A SIGTERM to npx
 * (how a CI job or a supervisor ends it) ends npm and that shell but does not reach w3, which would keep its port
 * and workers forever. Only then: a `w3lab serve &` started directly must keep running after its shell exits.
 */
function watchParent(onGone: () => void): void {
  if (process.env['npm_command'] !== 'exec') return;
  // w3 must be the very command npm exec ran: npm is the parent, or the parent is npm's `sh -c`. (npm_command is
  // inherited, so a w3 started further down, e.g. by a test under `npx jest`, is not npm's and is not watched.)
  const isNpmExec = (pid: number): boolean => /^npm exec .*w3lab/.test(cmdline(pid));
  const chain = [process.ppid];
  if (!isNpmExec(process.ppid)) {
    if (!/^(sh|dash|bash)$/.test(readComm(process.ppid))) return;
    chain.push(parentOf(process.ppid));
    if (!isNpmExec(chain[1]!)) return;
  }
  const watched = chain.map((pid) => ({ pid, start: startTime(pid) }));
  const timer = setInterval(() => {
    // Gone, or its PID now belongs to another process (same PID, another start time).
    if (watched.some((p) => !alive(p.pid) || startTime(p.pid) !== p.start)) {
      clearInterval(timer);
      onGone();
    }
  }, 500);
  timer.unref();
}

function readComm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** /proc/PID/stat fields after "(comm)": comm may hold spaces or parentheses, so split after the last ")". */
function statFields(pid: number): string[] {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return [];
  }
}

function parentOf(pid: number): number {
  return Number(statFields(pid)[1] ?? 0);
}

function startTime(pid: number): string {
  return statFields(pid)[19] ?? '';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function socketFromConfig(file: string): string {
  try {
    return loadConfig(path.resolve(file)).admin.socket;
  } catch (err) {
    throw new CliError(
      `cannot find the admin socket: pass --admin SOCKET or --config FILE (${(err as Error).message})`,
      254,
    );
  }
}

interface AdminOptions {
  admin?: string;
  config?: string;
}

async function adminCall(opts: AdminOptions, method: string, route: string): Promise<void> {
  const socket = opts.admin ?? socketFromConfig(opts.config ?? DEFAULT_CONFIG);
  try {
    const out = await new AdminClient({ socketPath: socket }).request(method, route);
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause?.code;
    // Nothing listening is the user's situation to fix (start w3, or point at its socket), not an internal error.
    if (cause === 'ENOENT' || cause === 'ECONNREFUSED') throw new CliError(`no server at this socket: ${socket}`, 1);
    const status = (err as { status?: number }).status;
    throw new CliError((err as Error).message, status === 404 ? 254 : status !== undefined && status < 500 ? 1 : 255);
  }
}

export function registerW3Commands(program: Command): void {
  program
    .command('serve')
    .description('run the w3 server (listener + manager) in the foreground')
    .option('-c, --config <file>', 'configuration file (JSON or YAML)', DEFAULT_CONFIG)
    .option('-p, --port <port>', 'override listen.port (0 = any free port)')
    .option('--enable-faults', 'enable the fault-injection admin routes')
    .option('--fault-token-file <file>', 'file holding the token the fault routes require (or set W3_FAULT_TOKEN)')
    .addOption(new Option('--fault-token <token>', 'refused: a token on the command line is visible in ps').hideHelp())
    .option('--log-level <level>', 'pino log level')
    .option('--no-watch-parent', 'under npx: keep serving after npx is gone (default: stop with it)')
    .action(async (o: ServeOptions) => {
      await serve(o);
    });
  const adminOpts = (c: Command): Command =>
    c
      .option('-a, --admin <socket>', 'admin socket of the running server')
      .option('-c, --config <file>', 'read the admin socket from this config');
  adminOpts(program.command('status').description('show pools and workers of a running server')).action(
    (o: AdminOptions) => adminCall(o, 'GET', '/pools'),
  );
  for (const verb of ['recycle', 'start', 'stop'] as const) {
    adminOpts(program.command(`${verb} <pool>`).description(`${verb} an application pool`)).action(
      (pool: string, o: AdminOptions) => adminCall(o, 'POST', `/pools/${encodeURIComponent(pool)}/${verb}`),
    );
  }
  adminOpts(program.command('reload').description('re-read the configuration file of a running server')).action(
    (o: AdminOptions) => adminCall(o, 'POST', '/reload'),
  );
}
