// Section "container": what running w3 in a container costs, measured through the lab's own w3 target (the same
// code `w3lab run --runtime container` uses) against w3 as a local process, in the same bench run, same config
// (one AlwaysRunning worker of the hello app): (1) throughput and latency with autocannon (BENCH_CONNECTIONS
// keep-alive connections, BENCH_DURATION_S after a warm-up) through the published loopback port vs the local port;
// (2) recycle cost, a few back-to-back recycles without load: recycle request → RecycleCompleted seen by the lab
// (includes reaching the admin API: a socket locally, an exec inside the container), and the server's own duration;
// (3) start-up: setup() until the target is ready (for the container: image check, container start, first worker).
// Without a Docker engine the section is skipped with the reason (written to container.json).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ensureDocker } from '../runtimes/docker-env';
import { summarize, type Summary } from '../results/stats';
import { getTarget } from '../targets/registry';
import type { RuntimeKind, StartedTarget } from '../targets/types';
import { writeResultJson } from './bench-env';
import { measure, probeOnce, type ThroughputMeasurement } from './load';
import { sleep } from './managed-process';
import { formatTable, ratio } from './table';
import { numberOrNull } from './w3-events';
import type { BenchContext, BenchSection, SectionReport } from './section';

const RECYCLES = 5;
const RECYCLE_TIMEOUT_MS = 30_000;
const RUNTIMES: readonly RuntimeKind[] = ['process', 'container'];

interface RecycleSample {
  i: number;
  /** recycle() answered (the admin POST), ms after the request. */
  ackMs: number | null;
  /** RecycleCompleted arrived in the lab's event stream, ms after the request. */
  completedMs: number | null;
  /** The server's own numbers from RecycleCompleted. */
  serverDurationMs: number | null;
  serverReadyMs: number | null;
  error?: string;
}

interface RuntimeRun {
  runtime: RuntimeKind;
  status: 'measured' | 'failed';
  error?: string;
  startMs?: number;
  runtimeDetails?: Record<string, unknown>;
  throughput?: Omit<ThroughputMeasurement, 'raw' | 'label'>;
  recycles: RecycleSample[];
  recycleSummary?: { completedMs: Summary; ackMs: Summary; serverDurationMs: Summary };
}

async function waitForEvent(
  t: StartedTarget,
  from: number,
  type: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = (t.events?.() ?? []).slice(from).find((e) => e.type === type);
    if (hit) return hit as unknown as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms`);
    await sleep(5);
  }
}

async function recycleOnce(t: StartedTarget, i: number): Promise<RecycleSample> {
  const from = t.events?.().length ?? 0;
  const t0 = Date.now();
  const sample: RecycleSample = { i, ackMs: null, completedMs: null, serverDurationMs: null, serverReadyMs: null };
  try {
    await t.recycle!('app');
    sample.ackMs = Date.now() - t0;
    const done = await waitForEvent(t, from, 'RecycleCompleted', RECYCLE_TIMEOUT_MS);
    sample.completedMs = Date.now() - t0;
    sample.serverDurationMs = numberOrNull(done['durationMs']);
    sample.serverReadyMs = numberOrNull(done['readyMs']);
  } catch (err) {
    sample.error = (err as Error).message;
  }
  return sample;
}

async function measureRuntime(
  ctx: BenchContext,
  runtime: RuntimeKind,
  app: string,
  recycles: number,
): Promise<RuntimeRun> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `w3lab-bench-${runtime}-`));
  const result: RuntimeRun = { runtime, status: 'failed', recycles: [] };
  let target: StartedTarget | undefined;
  // An interrupted bench exits without running `finally`: the container must not outlive it.
  const lastResort = (): void => target?.killSync?.();
  process.once('exit', lastResort);
  try {
    const t0 = Date.now();
    target = await getTarget('w3').setup({
      runId: `bench-${runtime}-${Date.now().toString(36)}`,
      runDir,
      runtime,
      settings: {
        config: {
          logging: { accessLog: false },
          pools: [{ name: 'app', startMode: 'AlwaysRunning', processModel: { maxProcesses: 1 } }],
          applications: [{ path: '/', pool: 'app', module: app }],
        },
      },
      faultInjection: { enabled: false, token: '' },
      log: pino({ level: 'silent' }),
    });
    result.startMs = Date.now() - t0;
    result.runtimeDetails = target.runtimeDetails ?? { runtime };
    const url = target.endpoint.url + '/';
    const probe = await probeOnce(url);
    if (probe.status !== 200) throw new Error(`GET / answered ${probe.status}`);
    ctx.progress(
      `container: ${runtime}: up in ${result.startMs} ms at ${target.endpoint.url}; ` +
        `autocannon ${ctx.params.connections} connections, ${ctx.params.durationS} s`,
    );
    const { raw: _raw, label: _label, ...m } = await measure(`w3 (${runtime})`, url, ctx.params);
    result.throughput = m;
    for (let i = 1; i <= recycles; i++) {
      const s = await recycleOnce(target, i);
      result.recycles.push(s);
      ctx.progress(
        `  ${runtime} recycle ${i}/${recycles}: completed after ${s.completedMs ?? '-'} ms ` +
          `(server ${s.serverDurationMs ?? '-'} ms)${s.error ? ` (${s.error})` : ''}`,
      );
    }
    const of = (k: 'completedMs' | 'ackMs' | 'serverDurationMs'): Summary =>
      summarize(result.recycles.map((s) => s[k]).filter((v): v is number => v !== null));
    result.recycleSummary = {
      completedMs: of('completedMs'),
      ackMs: of('ackMs'),
      serverDurationMs: of('serverDurationMs'),
    };
    result.status = 'measured';
  } catch (err) {
    result.error = (err as Error).message;
  } finally {
    await target?.stop().catch(() => target?.kill());
    process.removeListener('exit', lastResort);
    fs.rmSync(runDir, { recursive: true, force: true });
  }
  return result;
}

function imageOf(r: RuntimeRun): string {
  const image = r.runtimeDetails?.['image'];
  return typeof image === 'string' ? image : '-';
}

/** What each number in container.json measures, written into the file next to them. */
const DEFINITIONS = {
  startMs:
    'target setup() until every AlwaysRunning pool has a ready worker ' +
    '(container: includes the image check and container start)',
  'recycles.ackMs': 'recycle request → admin POST answered (local: Unix socket; container: `node -e` exec inside)',
  'recycles.completedMs':
    "recycle request → RecycleCompleted in the lab's event stream (local: stdout; container: docker log stream)",
  'recycles.serverDurationMs': "RecycleCompleted.durationMs: the server's RecycleStarted → old worker gone",
};

type Comparison = ReturnType<typeof compareRuntimes>;

function compareRuntimes(proc: RuntimeRun, cont: RuntimeRun) {
  return {
    rpsContainerOverProcess: ratio(cont.throughput?.rpsMean, proc.throughput?.rpsMean),
    p99ContainerOverProcess: ratio(cont.throughput?.latencyMs.p99, proc.throughput?.latencyMs.p99),
    recycleCompletedMedianContainerOverProcess: ratio(
      cont.recycleSummary?.completedMs.p50 ?? undefined,
      proc.recycleSummary?.completedMs.p50 ?? undefined,
    ),
  };
}

/** A failed run, errors under load or a recycle that did not complete: that run's numbers are not to be trusted. */
function problemsOf(runs: readonly RuntimeRun[]): string[] {
  const problems: string[] = [];
  for (const r of runs) {
    if (r.status === 'failed') problems.push(`container: the ${r.runtime} run failed: ${r.error}`);
    const t = r.throughput;
    if (t && t.errors + t.timeouts + t.non2xx > 0)
      problems.push(
        `container: ${r.runtime}: ${t.errors} errors, ${t.timeouts} timeouts, ${t.non2xx} non-2xx under load`,
      );
    const bad = r.recycles.filter((s) => s.error);
    if (bad.length > 0)
      problems.push(`container: ${r.runtime}: ${bad.length} recycles did not complete (${bad[0]!.error})`);
  }
  return problems;
}

function renderLines(runs: readonly RuntimeRun[], comparison: Comparison, recycles: number): string[] {
  const [, cont] = runs as [RuntimeRun, RuntimeRun];
  const tp = (r: RuntimeRun) => r.throughput;
  const rs = (r: RuntimeRun) => r.recycleSummary;
  const x = (v: number | null | undefined): string => `×${v ?? '-'}`;
  return [
    `container — w3 (1 worker, hello) as a local process vs in a container (${imageOf(cont)}), same run`,
    ...formatTable(
      [
        'runtime',
        'start ms',
        'req/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'recycle ack ms (med)',
        'recycle done ms (med)',
        'server recycle ms (med)',
      ],
      runs.map((r) => [
        r.runtime + (r.status === 'failed' ? ' (failed)' : ''),
        r.startMs,
        tp(r)?.rpsMean,
        tp(r)?.latencyMs.p50,
        tp(r)?.latencyMs.p99,
        tp(r) ? tp(r)!.errors + tp(r)!.timeouts + tp(r)!.non2xx : null,
        rs(r)?.ackMs.p50,
        rs(r)?.completedMs.p50,
        rs(r)?.serverDurationMs.p50,
      ]),
    ),
    '',
    `container / process: req/s ${x(comparison.rpsContainerOverProcess)}, ` +
      `p99 ${x(comparison.p99ContainerOverProcess)}, ` +
      `recycle request → RecycleCompleted ${x(comparison.recycleCompletedMedianContainerOverProcess)} ` +
      `(${recycles} recycles each, no load)`,
  ];
}

export const containerSection: BenchSection = {
  name: 'container',
  description:
    'w3 in a container vs as a local process: throughput (autocannon) and recycle cost (request → RecycleCompleted)',
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const app = path.join(ctx.repoRoot, 'targets', 'apps', 'hello.js');
    const recycles = Math.min(ctx.params.recycles, RECYCLES);
    const docker = ensureDocker();
    if (!docker.ok) {
      const file = writeResultJson(ctx.outDir, 'container.json', {
        section: 'container',
        ...meta,
        status: 'skipped',
        reason: docker.reason,
      });
      return {
        files: [file],
        lines: [`container — skipped: no Docker engine can be started here (${docker.reason})`],
        problems: [],
      };
    }
    const runs: RuntimeRun[] = [];
    for (const runtime of RUNTIMES) runs.push(await measureRuntime(ctx, runtime, app, recycles));
    const [proc, cont] = runs as [RuntimeRun, RuntimeRun];
    const comparison = compareRuntimes(proc, cont);
    const file = writeResultJson(ctx.outDir, 'container.json', {
      section: 'container',
      ...meta,
      machineAfter: ctx.meta().machine,
      app,
      baseImage: docker.baseImage,
      parameters: {
        connections: ctx.params.connections,
        durationS: ctx.params.durationS,
        warmupS: ctx.params.warmupS,
        recycles,
        w3: { maxProcesses: 1, startMode: 'AlwaysRunning' },
      },
      definitions: DEFINITIONS,
      comparison,
      runs,
    });
    return { files: [file], lines: renderLines(runs, comparison, recycles), problems: problemsOf(runs) };
  },
};
