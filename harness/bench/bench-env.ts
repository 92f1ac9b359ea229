// What every benchmark result file carries besides its numbers: the parameters read from the environment
// (BENCH_*), the machine (cores, model, load), the Node version and the git sha, and where outputs go. Parameters are
// read once by run-bench and passed down, never at import time.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BenchParams {
  /** Measured duration of each throughput run (BENCH_DURATION_S, default 10). */
  durationS: number;
  /** Unrecorded warm-up before each throughput run (BENCH_WARMUP_S, default 2, or 1 when durationS < 5). */
  warmupS: number;
  /** Keep-alive connections of the throughput runs (BENCH_CONNECTIONS, default 100). */
  connections: number;
  /** Back-to-back recycles of the recycle-cost section (BENCH_RECYCLES, default 20). */
  recycles: number;
  /** Samples of the hang-detection and crash-recovery sections, and bare cold starts (BENCH_REPEATS, default 10). */
  repeats: number;
  /**
   * Rounds of the A/B comparisons (tracked-client, cache), the order alternating per round, and the attack runs of
   * slowloris (each between two runs without the attack) (BENCH_ROUNDS, default 2).
   */
  rounds: number;
  /** The `w3lab` launcher used to start w3 (BENCH_W3_BIN, default <repo>/bin/w3lab.js) — e.g. another checkout's. */
  w3Bin: string;
  /**
   * w3's listen.transport in the throughput, instructions and slowloris sections (BENCH_W3_TRANSPORT: http or
   * frames; default: the host's default).
   */
  w3Transport: 'http' | 'frames' | undefined;
  /** Targets of the throughput section (BENCH_TARGETS, comma-separated; default all). */
  throughputTargets: string[];
  /** Load clients of the throughput section (BENCH_CLIENTS, comma-separated; default wrk,autocannon). */
  throughputClients: string[];
  /** Requests measured per target by the instructions section (BENCH_INSTR_REQUESTS, default 10000). */
  instrRequests: number;
  /** Unmeasured requests before them, for the JIT to settle (BENCH_INSTR_PRIME, default 50000). */
  instrPrime: number;
}

export const THROUGHPUT_TARGETS = ['bare', 'haproxy', 'nginx', 'w3-1', 'w3-2', 'w3-2p'] as const;
export const THROUGHPUT_CLIENTS = ['wrk', 'autocannon'] as const;

export class BenchParamError extends Error {
  readonly code = 'LAB_ERR_BENCH_PARAM';
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new BenchParamError(
      `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

function list(env: NodeJS.ProcessEnv, name: string, allowed: readonly string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [...allowed];
  const items = raw
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  const bad = items.filter((x) => !allowed.includes(x));
  if (bad.length > 0 || items.length === 0) {
    throw new BenchParamError(
      `${name} must list some of ${allowed.join(', ')} (comma-separated), got ${JSON.stringify(raw)}`,
    );
  }
  return allowed.filter((x) => items.includes(x));
}

function transport(env: NodeJS.ProcessEnv): 'http' | 'frames' | undefined {
  const v = env['BENCH_W3_TRANSPORT'];
  if (v === undefined || v === '') return undefined;
  if (v !== 'http' && v !== 'frames')
    throw new BenchParamError(`BENCH_W3_TRANSPORT must be http or frames, not "${v}"`);
  return v;
}

export function readBenchParams(env: NodeJS.ProcessEnv, root: string): BenchParams {
  const durationS = positive(env, 'BENCH_DURATION_S', 10, false);
  return {
    durationS,
    warmupS: positive(env, 'BENCH_WARMUP_S', durationS < 5 ? 1 : 2, false),
    connections: positive(env, 'BENCH_CONNECTIONS', 100, true),
    recycles: positive(env, 'BENCH_RECYCLES', 20, true),
    repeats: positive(env, 'BENCH_REPEATS', 10, true),
    rounds: positive(env, 'BENCH_ROUNDS', 2, true),
    w3Bin: path.resolve(root, env['BENCH_W3_BIN'] || path.join('bin', 'w3lab.js')),
    w3Transport: transport(env),
    throughputTargets: list(env, 'BENCH_TARGETS', THROUGHPUT_TARGETS),
    throughputClients: list(env, 'BENCH_CLIENTS', THROUGHPUT_CLIENTS),
    instrRequests: positive(env, 'BENCH_INSTR_REQUESTS', 10_000, true),
    instrPrime: positive(env, 'BENCH_INSTR_PRIME', 50_000, true),
  };
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  totalMemMB: number;
  /** os.loadavg() — 1, 5 and 15 minute averages. */
  loadavg: number[];
  platform: string;
  release: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemMB: Math.round(os.totalmem() / 1024 / 1024),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    platform: os.platform(),
    release: os.release(),
  };
}

/** The repository root: the first folder above this file with a package.json (works from dist/ and from sources). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`bench: cannot find the repository root above ${__dirname}`);
    dir = up;
  }
  return dir;
}

export function gitSha(cwd: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

export function gitDirty(cwd: string): boolean | null {
  try {
    const out = execFileSync('git', ['status', '--porcelain'], {
      cwd,
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim().length > 0;
  } catch {
    return null;
  }
}

export interface RunMeta {
  timestamp: string;
  node: string;
  gitSha: string | null;
  gitDirty: boolean | null;
  machine: MachineInfo;
  params: BenchParams;
}

export function runMeta(params: BenchParams, root: string): RunMeta {
  return {
    timestamp: new Date().toISOString(),
    node: process.version,
    gitSha: gitSha(root),
    gitDirty: gitDirty(root),
    machine: machineInfo(),
    params,
  };
}

/** Writes `value` as pretty JSON to `dir/name`, creating `dir`; returns the path. */
export function writeResultJson(dir: string, name: string, value: unknown): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
  return file;
}
