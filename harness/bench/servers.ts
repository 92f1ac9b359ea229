// Starting and stopping the servers the benchmarks measure, each as real child processes on port 0 / temp sockets:
// the bare Node baseline and w3 (through its CLI and a generated config; talked to only through its admin API).
// Each returns a StartedServer whose stop() is idempotent and leaves no process behind (see managed-process).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdminClient } from '../../targets/w3/admin/admin-client';
import { startProcess, sleep, type ManagedProcess, type ProcessRegistry, type StopReport } from './managed-process';

export interface StartedServer {
  name: string;
  url: string;
  port: number;
  processes: ManagedProcess[];
  /** Graceful stop (SIGTERM, then SIGKILL); idempotent. */
  stop(): Promise<void>;
  /** Forced; idempotent. */
  kill(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

/** Runs a server's program under another command (e.g. valgrind), which also needs a longer readiness deadline. */
export interface Launcher {
  prefix: string[];
  readyTimeoutMs: number;
}

/** startProcess, through `launcher` when one is given. */
export function launch(
  name: string,
  command: string,
  args: string[],
  registry: ProcessRegistry,
  launcher?: Launcher,
  env?: NodeJS.ProcessEnv,
): ManagedProcess {
  const options = env ? { env } : {};
  if (!launcher || launcher.prefix.length === 0) return startProcess(name, command, args, registry, options);
  const [first, ...rest] = launcher.prefix;
  return startProcess(name, first!, [...rest, command, ...args], registry, options);
}

/** A child script of the bench (children/NAME.ts, compiled beside this module). */
export function childScript(name: string): string {
  // This module runs from dist/harness/bench; the children are compiled beside it.
  const file = path.join(__dirname, 'children', `${name}.js`);
  if (!fs.existsSync(file)) throw new Error(`bench: ${file} is missing; run \`npm run build\` first`);
  return file;
}

export function tempDir(prefix: string, registry: ProcessRegistry): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  registry.addDir(dir);
  return dir;
}

interface Listening {
  listening: { port?: number; socket?: string };
}

async function stopAll(procs: ManagedProcess[], how: 'stop' | 'kill', dir?: string): Promise<void> {
  // Front first (reverse start order), so the back end never sees its client vanish mid-request during a stop.
  for (const p of [...procs].reverse()) await (how === 'stop' ? p.stop() : p.kill());
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** (a) bare Node: http.createServer(require(app)) in a child process, keepAliveTimeout 120 s. */
export async function startBareNode(
  app: string,
  registry: ProcessRegistry,
  launcher?: Launcher,
): Promise<StartedServer> {
  const proc = launch(
    'bare-node',
    process.execPath,
    [childScript('bare-node-server'), '--app', app, '--port', '0'],
    registry,
    launcher,
  );
  try {
    const line = await proc.waitForJsonLine<Listening>(
      (j) => 'listening' in j,
      launcher?.readyTimeoutMs ?? READY_TIMEOUT_MS,
    );
    const port = line.listening.port ?? 0;
    return {
      name: 'bare-node',
      url: `http://127.0.0.1:${port}`,
      port,
      processes: [proc],
      stop: () => stopAll([proc], 'stop'),
      kill: () => stopAll([proc], 'kill'),
    };
  } catch (err) {
    await proc.kill();
    throw err;
  }
}

export interface W3WorkerSnapshot {
  id: number;
  pid: number;
  state: string;
  requests?: number;
  inFlight?: number;
}

export interface W3PoolSnapshot {
  name: string;
  state: string;
  workers: W3WorkerSnapshot[];
}

/**
 * Polls the admin API until `pool` has a ready worker whose pid is not in `excludePids` (a replacement, not the
 * worker being replaced); throws after timeoutMs or when w3 exits. Remembers w3's descendants once one is ready.
 */
export async function waitForReadyWorker(
  w3: Pick<W3Server, 'readyWorkers' | 'processes'>,
  pool: string,
  timeoutMs: number,
  excludePids: readonly number[] = [],
): Promise<W3WorkerSnapshot> {
  const proc = w3.processes[0];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = (await w3.readyWorkers(pool)).find((w) => !excludePids.includes(w.pid));
    if (ready) {
      proc?.snapshotDescendants();
      return ready;
    }
    if (Date.now() > deadline || proc?.exited())
      throw new Error(`w3: no ready worker in pool ${pool} within ${timeoutMs} ms:\n${proc?.tail() ?? ''}`);
    await sleep(50);
  }
}

/**
 * True when every ready worker of `pool` is one of `usedPids` (workers the bench has already broken, which may still
 * be listed as Ready until w3 has seen them exit); a failed admin request counts as none ready.
 */
export async function onlyUsedWorkersReady(
  w3: Pick<W3Server, 'readyWorkers'>,
  pool: string,
  usedPids: readonly number[],
): Promise<boolean> {
  const ready = await w3.readyWorkers(pool).catch(() => []);
  return ready.every((w) => usedPids.includes(w.pid));
}

/** Stops the section's event stream, then w3; returns how w3's stop went (null when it never started). */
export async function stopW3(
  w3: W3Server | undefined,
  events: { stop(): Promise<void> } | undefined,
): Promise<StopReport | null> {
  await events?.stop();
  await w3?.stop();
  return w3?.processes[0]?.stopReport() ?? null;
}

export interface W3Server extends StartedServer {
  admin: AdminClient;
  adminSocket: string;
  pools(): Promise<W3PoolSnapshot[]>;
  /** Ready workers of `pool`. */
  readyWorkers(pool: string): Promise<W3WorkerSnapshot[]>;
}

export interface W3Options {
  registry: ProcessRegistry;
  /** The `w3lab` launcher (bin/w3lab.js). */
  bin: string;
  app: string;
  maxProcesses: number;
  pool?: string;
  /** Extra pool settings merged over the bench defaults (e.g. processModel.shutdownTimeLimit). */
  processModel?: Record<string, unknown>;
  /** Other pool sections, set as given (e.g. `failure: { rapidFailProtection: false }`). */
  poolSettings?: Record<string, unknown>;
  /** Host-level sections of the config, set as given (e.g. `cache: { enabled: false }`). */
  hostSettings?: Record<string, unknown>;
  /** Starts w3 with `--enable-faults` and this token in $W3_FAULT_TOKEN; the returned admin client sends it. */
  faultToken?: string;
  /** Runs the w3 host under another command (its workers start normally). */
  launcher?: Launcher;
  /** listen.transport (default: the host's). */
  transport?: 'http' | 'frames';
}

/** w3 through `w3lab serve` on a generated config: one pool, AlwaysRunning, hello app, access log off. */
export async function startW3(opts: W3Options): Promise<W3Server> {
  const dir = tempDir('w3lab-bench-w3-', opts.registry);
  const pool = opts.pool ?? 'app';
  const adminSocket = path.join(dir, 'admin.sock');
  const config = {
    listen: { host: '127.0.0.1', port: 0, ...(opts.transport ? { transport: opts.transport } : {}) },
    admin: { socket: adminSocket },
    logging: { level: 'info', accessLog: false },
    ...(opts.hostSettings ?? {}),
    pools: [
      {
        name: pool,
        startMode: 'AlwaysRunning',
        ...(opts.poolSettings ?? {}),
        processModel: { maxProcesses: opts.maxProcesses, ...(opts.processModel ?? {}) },
      },
    ],
    applications: [{ path: '/', pool, module: opts.app }],
  };
  const file = path.join(dir, 'w3.json');
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  // The token goes through the environment: a command line is visible to every user (ps).
  const faultArgs = opts.faultToken === undefined ? [] : ['--enable-faults'];
  const env = opts.faultToken === undefined ? undefined : { ...process.env, W3_FAULT_TOKEN: opts.faultToken };
  const proc = launch(
    `w3(${opts.maxProcesses})`,
    process.execPath,
    [opts.bin, 'serve', '--config', file, ...faultArgs],
    opts.registry,
    opts.launcher,
    env,
  );
  const readyMs = opts.launcher?.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const procs = [proc];
  try {
    const line = await proc.waitForJsonLine<{ event: { listen: { port: number } } }>(
      (j) => (j['event'] as { type?: string } | undefined)?.type === 'HostStarted',
      readyMs,
    );
    const port = line.event.listen.port;
    const admin = new AdminClient({
      socketPath: adminSocket,
      ...(opts.faultToken === undefined ? {} : { faultToken: opts.faultToken }),
    });
    const pools = (): Promise<W3PoolSnapshot[]> => admin.request<W3PoolSnapshot[]>('GET', '/pools');
    const readyWorkers = async (name: string): Promise<W3WorkerSnapshot[]> => {
      const p = (await pools()).find((x) => x.name === name);
      return (p?.workers ?? []).filter((w) => w.state === 'Ready');
    };
    // AlwaysRunning: the first worker starts with the host; measure only once it is ready.
    await waitForReadyWorker({ readyWorkers, processes: procs }, pool, readyMs);
    return {
      name: `w3-${opts.maxProcesses}w`,
      url: `http://127.0.0.1:${port}`,
      port,
      processes: procs,
      admin,
      adminSocket,
      pools,
      readyWorkers,
      stop: () => stopAll(procs, 'stop', dir),
      kill: () => stopAll(procs, 'kill', dir),
    };
  } catch (err) {
    await stopAll(procs, 'kill', dir);
    throw err;
  }
}
