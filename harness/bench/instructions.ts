// Section "instructions" (run only when named: `npm run bench -- instructions`): instructions executed per request
// by the accepting process of bare Node, HAProxy → Node and w3 (1 and 2 workers), counted with callgrind. Unlike
// req/s and CPU time these counts do not move with other load on the machine, so this is the comparison to trust on
// a shared machine. Each front runs under valgrind (instrumentation off), is primed through the same keep-alive
// connections that are then measured (connection setup and JIT warm-up stay out of the window), and is measured
// over exactly BENCH_INSTR_REQUESTS requests. User-space instructions only: kernel work (system calls) is not in
// them; the throughput section reports syscalls per request beside CPU time.
import path from 'node:path';
import { writeResultJson } from './bench-env';
import {
  callgrindLauncher,
  compilerShare,
  dumpAndRead,
  findValgrind,
  instrumentationOff,
  instrumentationOn,
} from './callgrind';
import { FixedCountClient } from './fixed-count-client';
import { startHaproxy } from './haproxy';
import { startBareNode, startW3, tempDir, type Launcher, type StartedServer } from './servers';
import { formatTable, ratio } from './table';
import { findTool, HAPROXY } from './tools';
import { TARGET_LABELS, type TargetKey } from './throughput-targets';
import type { BenchContext, BenchSection, SectionReport } from './section';

const SUPPORTED: readonly TargetKey[] = ['bare', 'haproxy', 'w3-1', 'w3-2'];
/** valgrind slows a process 20–100×: generous deadlines for start-up and for each run. */
const READY_MS = 600_000;
const RUN_MS = 1_800_000;

export interface InstructionRun {
  target: TargetKey;
  status: 'measured' | 'skipped' | 'failed';
  reason?: string;
  requests?: number;
  instructions?: number;
  perRequest?: number;
  /** Share of the window spent in V8's optimizing compiler (should be small; else prime longer). */
  compilerShare?: number | null;
  non200?: number;
  primeMs?: number;
  measuredMs?: number;
}

/** Starts one target with its front under `launcher`; returns the server, the front's pid and what else to stop. */
async function startFront(
  ctx: BenchContext,
  key: TargetKey,
  launcher: Launcher,
  started: StartedServer[],
): Promise<{ port: number; pid: number }> {
  const app = path.join(ctx.repoRoot, 'targets', 'apps', 'hello.js');
  if (key === 'bare') {
    const s = await startBareNode(app, ctx.processes, launcher);
    started.push(s);
    return { port: s.port, pid: s.processes[0]!.pid };
  }
  if (key === 'haproxy') {
    const hp = findTool(HAPROXY);
    if (!hp.available) throw new SkipTarget(hp.reason);
    const bare = await startBareNode(app, ctx.processes);
    started.push(bare);
    const s = await startHaproxy(hp.bin, bare.port, ctx.processes, launcher);
    started.push(s);
    return { port: s.port, pid: s.processes[0]!.pid };
  }
  const workers = key === 'w3-1' ? 1 : 2;
  // Under valgrind the host answers pings slowly: give it the time a slow host needs.
  const s = await startW3({
    registry: ctx.processes,
    bin: ctx.params.w3Bin,
    app,
    maxProcesses: workers,
    transport: ctx.params.w3Transport,
    processModel: { pingResponseTime: '10m', startupTimeLimit: '10m' },
    launcher,
  });
  started.push(s);
  return { port: s.port, pid: s.processes[0]!.pid };
}

class SkipTarget extends Error {}

async function measureTarget(ctx: BenchContext, key: TargetKey, valgrind: string): Promise<InstructionRun> {
  const { connections, instrRequests, instrPrime } = ctx.params;
  const dir = tempDir('w3lab-bench-callgrind-', ctx.processes);
  const started: StartedServer[] = [];
  let client: FixedCountClient | null = null;
  try {
    const { port, pid } = await startFront(ctx, key, callgrindLauncher(valgrind, dir, READY_MS), started);
    client = await FixedCountClient.open(port, connections);
    ctx.progress(`  priming with ${instrPrime} requests (instrumentation off) ...`);
    const prime = await client.run(instrPrime, RUN_MS);
    await instrumentationOn(pid);
    const r = await client.run(instrRequests, RUN_MS);
    await instrumentationOff(pid);
    const { total, file } = await dumpAndRead(pid, dir);
    return {
      target: key,
      status: 'measured',
      requests: r.responses,
      instructions: total,
      perRequest: Math.round(total / r.responses),
      compilerShare: await compilerShare(file),
      non200: r.non200,
      primeMs: prime.ms,
      measuredMs: r.ms,
    };
  } catch (err) {
    if (err instanceof SkipTarget) return { target: key, status: 'skipped', reason: err.message };
    return { target: key, status: 'failed', reason: err instanceof Error ? err.message : String(err) };
  } finally {
    client?.close();
    for (const s of started.reverse()) await s.stop();
  }
}

export const instructionsSection: BenchSection = {
  name: 'instructions',
  description: 'instructions per request of the accepting process (callgrind): bare node, HAProxy, w3 1 and 2 workers',
  optIn: true,
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const problems: string[] = [];
    const runs: InstructionRun[] = [];
    const valgrind = findValgrind();
    const wanted = (ctx.params.throughputTargets as TargetKey[]).filter((t) => SUPPORTED.includes(t));
    for (const key of wanted) {
      if (!valgrind.available) {
        runs.push({ target: key, status: 'skipped', reason: valgrind.reason });
        continue;
      }
      ctx.progress(`instructions: ${TARGET_LABELS[key]} under callgrind ...`);
      const r = await measureTarget(ctx, key, valgrind.bin);
      runs.push(r);
      ctx.progress(
        r.status === 'measured'
          ? `  ${r.perRequest} instructions/request (compiler ${r.compilerShare ?? '?'})`
          : `  ${r.status}: ${r.reason}`,
      );
      if (r.status === 'failed') problems.push(`instructions ${key}: ${(r.reason ?? '').split('\n')[0]}`);
      if ((r.non200 ?? 0) > 0) problems.push(`instructions ${key}: ${r.non200} responses were not 200`);
    }
    const per = (k: TargetKey): number | undefined => runs.find((r) => r.target === k)?.perRequest;
    const ratios = {
      'w3-1/haproxy': ratio(per('w3-1'), per('haproxy')),
      'w3-1/bare': ratio(per('w3-1'), per('bare')),
      'w3-2/w3-1': ratio(per('w3-2'), per('w3-1')),
    };
    const file = writeResultJson(ctx.outDir, 'instructions.json', {
      section: 'instructions',
      ...meta,
      note:
        'User-space instructions of the accepting process per request (callgrind), ' +
        'primed and measured on the same keep-alive connections.',
      runs,
      ratios,
    });
    const lines = [
      `instructions — per request of the accepting process, ${ctx.params.instrRequests} requests over ` +
        `${ctx.params.connections} ` +
        `keep-alive connections after ${ctx.params.instrPrime} unmeasured ones (callgrind; user space only)`,
      ...formatTable(
        ['target', 'instr/request', 'compiler share', 'requests'],
        runs.map((r) =>
          r.status === 'measured'
            ? [TARGET_LABELS[r.target], r.perRequest, r.compilerShare, r.requests]
            : [`${TARGET_LABELS[r.target]} — ${r.status}: ${(r.reason ?? '').split('\n')[0]}`],
        ),
      ),
      '',
      'ratios (instructions): ' +
        Object.entries(ratios)
          .map(([k, v]) => `${k} = ${v ?? '-'}`)
          .join(', '),
    ];
    return { files: [file], lines, problems };
  },
};
