// The five servers the throughput section compares, all started once and kept running so that measurements can
// alternate between them round after round: bare Node (the app alone), HAProxy → bare Node, nginx → bare Node,
// w3 with one worker and w3 with two (web garden). Each says which of its processes are the front (accepts the
// client connections) and which are the back (the app), so CPU time can be split per role.
import path from 'node:path';
import { THROUGHPUT_TARGETS } from './bench-env';
import { probeOnce, warmUp } from './load';
import { ensureNginx, startNginxProxy } from './nginx';
import { startHaproxy } from './haproxy';
import { startBareNode, startW3, type StartedServer, type W3Server } from './servers';
import { findTool, HAPROXY } from './tools';
import type { CpuRoles } from './cpu-usage';
import type { BenchContext } from './section';

export type TargetKey = (typeof THROUGHPUT_TARGETS)[number];

export const TARGET_LABELS: Record<TargetKey, string> = {
  bare: 'bare Node http.createServer',
  haproxy: 'HAProxy (1 thread, http-reuse always) -> bare',
  nginx: 'nginx (1 worker, keepalive 64) -> bare',
  'w3-1': 'w3, 1 worker',
  'w3-2': 'w3, 2 workers (web garden)',
  'w3-2p': 'w3, 2 workers, webGardenDispatch pack',
};

type W3Key = 'w3-1' | 'w3-2' | 'w3-2p';

export interface BenchTarget {
  key: TargetKey;
  url: string;
  /** The processes now, per role. */
  roles(): CpuRoles;
  /** Before each measurement: proves the target answers (and, for the garden, that it has its workers). */
  prepare(): Promise<void>;
  /** Evidence taken after a measurement (per-worker request counts for w3); `before` is its value before it. */
  evidence?(before: unknown): Promise<unknown>;
  details: Record<string, unknown>;
}

export interface SkippedTarget {
  key: TargetKey;
  reason: string;
  /** True when it was there but failed to start (a problem), false when a program is missing. */
  failed: boolean;
}

/** w3 adds a worker only when every ready one is busy: load it until it has `want` ready workers. */
const GARDEN_WAIT_MS = 30_000;

async function growGarden(
  w3: W3Server,
  want: number,
  connections: number,
  progress: (m: string) => void,
): Promise<number> {
  const deadline = Date.now() + GARDEN_WAIT_MS;
  let ready = (await w3.readyWorkers('app')).length;
  while (ready < want && Date.now() < deadline) {
    progress(`  w3 has ${ready} ready worker(s); loading it until it has ${want} ...`);
    await warmUp(w3.url, connections, 1);
    ready = (await w3.readyWorkers('app')).length;
  }
  return ready;
}

async function answers200(url: string, needPidHeader: boolean): Promise<void> {
  const r = await probeOnce(url);
  if (r.status !== 200) throw new Error(`GET ${url} answered ${r.status} before the measurement`);
  if (needPidHeader && !r.headers['x-w3-worker-pid']) throw new Error('w3 response lacks X-W3-Worker-Pid');
}

function w3Target(key: W3Key, w3: W3Server, workers: number, ctx: BenchContext): BenchTarget {
  const host = w3.processes[0]!;
  return {
    key,
    url: w3.url,
    roles: () => ({
      front: [host.pid],
      back: host
        .snapshotDescendants()
        .filter((pid) => pid !== host.pid)
        .filter(alive),
    }),
    prepare: async () => {
      await answers200(w3.url, true);
      const ready = await growGarden(w3, workers, ctx.params.connections, ctx.progress);
      if (ready < workers)
        throw new Error(`w3 had ${ready} ready worker(s) after ${GARDEN_WAIT_MS / 1000} s of load, wanted ${workers}`);
    },
    evidence: async (before) => {
      const prev = (before as { pid: number; requests?: number }[] | undefined) ?? [];
      const now = (await w3.pools())[0]?.workers ?? [];
      return now.map((w) => ({
        pid: w.pid,
        state: w.state,
        requests: (w.requests ?? 0) - (prev.find((b) => b.pid === w.pid)?.requests ?? 0),
        total: w.requests ?? 0,
      }));
    },
    details: { workers, ...(key === 'w3-2p' ? { webGardenDispatch: 'pack' } : {}) },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The bare Node server every proxy forwards to: its address and the pid that is the back of every proxy target. */
interface Backend {
  url: string;
  port: number;
  pid: number;
}

async function haproxyTarget(
  ctx: BenchContext,
  haproxy: { bin: string; version: string },
  bare: Backend,
  started: StartedServer[],
): Promise<BenchTarget> {
  const hp = await startHaproxy(haproxy.bin, bare.port, ctx.processes);
  started.push(hp);
  const pid = hp.processes[0]!.pid;
  return {
    key: 'haproxy',
    url: hp.url,
    roles: () => ({ front: [pid], back: [bare.pid] }),
    prepare: () => answers200(hp.url, false),
    details: { version: haproxy.version },
  };
}

async function nginxTarget(
  ctx: BenchContext,
  nginx: { bin: string; version: string; installedNow: boolean },
  bare: Backend,
  started: StartedServer[],
): Promise<BenchTarget> {
  const ngx = await startNginxProxy(nginx.bin, bare.port, ctx.processes);
  started.push(ngx);
  const master = ngx.processes[0]!;
  return {
    key: 'nginx',
    url: ngx.url,
    // The worker first: the run-queue figure is read from the first front process.
    roles: () => ({ front: [...master.snapshotDescendants().filter(alive), master.pid], back: [bare.pid] }),
    prepare: () => answers200(ngx.url, false),
    details: { version: nginx.version, installedNow: nginx.installedNow },
  };
}

async function startW3Target(
  ctx: BenchContext,
  key: W3Key,
  workers: number,
  app: string,
  started: StartedServer[],
): Promise<BenchTarget> {
  const w3 = await startW3({
    registry: ctx.processes,
    bin: ctx.params.w3Bin,
    app,
    maxProcesses: workers,
    transport: ctx.params.w3Transport,
    ...(key === 'w3-2p' ? { processModel: { webGardenDispatch: 'pack' } } : {}),
  });
  started.push(w3);
  return w3Target(key, w3, workers, ctx);
}

/**
 * Starts every target it can; the ones that cannot run here (a program missing) are returned as skipped with the
 * reason. Every started server is pushed to `started` as soon as it runs, so the caller can stop them all.
 */
export async function startTargets(
  ctx: BenchContext,
  wanted: readonly TargetKey[],
  started: StartedServer[],
): Promise<{ targets: BenchTarget[]; skipped: SkippedTarget[] }> {
  const app = path.join(ctx.repoRoot, 'targets', 'apps', 'hello.js');
  const targets: BenchTarget[] = [];
  const skipped: SkippedTarget[] = [];
  const want = (k: TargetKey): boolean => wanted.includes(k);
  // Checked (and nginx installed, as before) up front, so apt never overlaps a measurement.
  const nginx = want('nginx') ? ensureNginx(ctx.progress) : null;
  const haproxy = want('haproxy') ? findTool(HAPROXY) : null;

  const bareServer = await startBareNode(app, ctx.processes);
  started.push(bareServer);
  const bare: Backend = { url: bareServer.url, port: bareServer.port, pid: bareServer.processes[0]!.pid };
  // A target that fails to start is skipped with the reason; the others are still measured.
  const attempt = async (key: TargetKey, start: () => Promise<BenchTarget>): Promise<void> => {
    try {
      targets.push(await start());
    } catch (err) {
      skipped.push({
        key,
        reason: `failed to start: ${err instanceof Error ? err.message : String(err)}`,
        failed: true,
      });
    }
  };
  if (want('bare')) {
    targets.push({
      key: 'bare',
      url: bare.url,
      roles: () => ({ front: [bare.pid], back: [] }),
      prepare: () => answers200(bare.url, false),
      details: { app },
    });
  }
  if (haproxy && !haproxy.available) skipped.push({ key: 'haproxy', reason: haproxy.reason, failed: false });
  else if (haproxy) await attempt('haproxy', () => haproxyTarget(ctx, haproxy, bare, started));
  if (nginx && !nginx.available) skipped.push({ key: 'nginx', reason: nginx.reason, failed: false });
  else if (nginx?.available) await attempt('nginx', () => nginxTarget(ctx, nginx, bare, started));
  for (const [key, workers] of [
    ['w3-1', 1],
    ['w3-2', 2],
    ['w3-2p', 2],
  ] as const) {
    if (want(key)) await attempt(key, () => startW3Target(ctx, key, workers, app, started));
  }
  return { targets, skipped };
}

/** Evidence a w3 target needs before a measurement (worker request counters), for `evidence` afterwards. */
export async function evidenceBefore(target: BenchTarget): Promise<unknown> {
  return target.evidence ? target.evidence(undefined) : undefined;
}
