// Section "throughput": req/s and latency of the hello app behind (a) bare Node, (b) w3 with 1 worker, (c) w3 with
// 2 workers, (d) nginx (1 worker, upstream keep-alive) in front of (a), and (e) a node:http reverse proxy over a
// Unix socket — the alternative listener→worker transport to compare with w3's undici Pool. Same run, one after the
// other, each with an unrecorded warm-up. The §6 goal it reports: w3 (1 worker) ≥ nginx → same app, p99 no worse.
import path from 'node:path';
import { measure, probeOnce, warmUp, type LoadSettings, type ThroughputMeasurement } from './load';
import { ensureNginx, startNginxProxy, type NginxAvailability } from './nginx';
import { startBareNode, startNodeAgentProxy, startW3, type StartedServer, type W3Server, type W3WorkerSnapshot } from './servers';
import { writeResultJson } from './bench-env';
import { formatTable, ratio } from './table';
import type { BenchContext, BenchSection, SectionReport } from './section';

type RunKey = 'a' | 'b' | 'c' | 'd' | 'e';

export interface TargetRun {
  key: RunKey;
  label: string;
  status: 'measured' | 'skipped' | 'failed';
  reason?: string;
  measurement?: Omit<ThroughputMeasurement, 'label'>;
  /** Target-specific evidence (worker counts, per-worker request split, nginx version, ...). */
  details?: Record<string, unknown>;
}

const LABELS: Record<RunKey, string> = {
  a: '(a) bare node http.createServer',
  b: '(b) w3, 1 worker',
  c: '(c) w3, 2 workers (web garden)',
  d: '(d) nginx (1 worker, keepalive 64) -> (a)',
  e: '(e) node-http-agent proxy (alternative transport)',
};

/** Warm-up for the web garden: w3 adds a worker only when every ready one is busy, so load it until it has two. */
const GARDEN_WAIT_MS = 30_000;

async function workerSplit(w3: W3Server, before: W3WorkerSnapshot[]): Promise<{ pid: number; state: string; requests: number }[]> {
  const after = (await w3.pools())[0]?.workers ?? [];
  return after.map((w) => ({
    pid: w.pid,
    state: w.state,
    requests: (w.requests ?? 0) - (before.find((b) => b.pid === w.pid)?.requests ?? 0),
  }));
}

async function growGarden(w3: W3Server, want: number, s: LoadSettings, progress: (m: string) => void): Promise<number> {
  const deadline = Date.now() + GARDEN_WAIT_MS;
  let ready = (await w3.readyWorkers('app')).length;
  while (ready < want && Date.now() < deadline) {
    progress(`  w3 has ${ready} ready worker(s); warming up until it has ${want} ...`);
    await warmUp(w3.url, s.connections, 1);
    ready = (await w3.readyWorkers('app')).length;
  }
  return ready;
}

export const throughputSection: BenchSection = {
  name: 'throughput',
  description: 'req/s and latency: bare node, w3 1 and 2 workers, nginx -> node, node-http-agent proxy',
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const { connections, durationS, warmupS } = ctx.params;
    const s: LoadSettings = { connections, durationS, warmupS };
    const app = path.join(ctx.repoRoot, 'targets', 'apps', 'hello.js');
    const runs: TargetRun[] = [];
    const problems: string[] = [];
    const started: StartedServer[] = [];
    const track = <T extends StartedServer>(srv: T): T => {
      started.push(srv);
      return srv;
    };

    const step = async (key: RunKey, body: () => Promise<Omit<TargetRun, 'key' | 'label'>>): Promise<void> => {
      ctx.progress(`throughput ${LABELS[key]} ...`);
      try {
        const r = { key, label: LABELS[key], ...(await body()) };
        runs.push(r);
        if (r.measurement) ctx.progress(`  ${Math.round(r.measurement.rpsMean)} req/s, p99 ${r.measurement.latencyMs.p99} ms`);
        else ctx.progress(`  ${r.status}: ${r.reason ?? ''}`);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        runs.push({ key, label: LABELS[key], status: 'failed', reason });
        problems.push(`${LABELS[key]} failed: ${reason.split('\n')[0]}`);
        ctx.progress(`  failed: ${reason}`);
      }
    };
    const strip = (m: ThroughputMeasurement): Omit<ThroughputMeasurement, 'label'> => {
      const { label: _label, ...rest } = m;
      return rest;
    };
    const check = async (url: string, needPidHeader: boolean): Promise<void> => {
      const r = await probeOnce(url);
      if (r.status !== 200) throw new Error(`GET ${url} answered ${r.status} before the measurement`);
      if (needPidHeader && !r.headers['x-w3-worker-pid']) throw new Error('w3 response lacks X-W3-Worker-Pid');
    };

    // Installing nginx (if needed) happens before anything is started, so apt never overlaps a measurement.
    const nginx: NginxAvailability = ensureNginx(ctx.progress);
    try {
      const bare = track(await startBareNode(app, ctx.processes));
      await step('a', async () => {
        await check(bare.url, false);
        return { status: 'measured', measurement: strip(await measure(LABELS.a, bare.url, s)) };
      });

      for (const [key, workers] of [
        ['b', 1],
        ['c', 2],
      ] as const) {
        await step(key, async () => {
          const w3 = track(await startW3({ registry: ctx.processes, bin: ctx.params.w3Bin, app, maxProcesses: workers }));
          let details: Record<string, unknown> = {};
          try {
            await check(w3.url, true);
            await warmUp(w3.url, connections, warmupS);
            const ready = await growGarden(w3, workers, s, ctx.progress);
            if (ready < workers) {
              return { status: 'failed', reason: `w3 had ${ready} ready worker(s) after ${GARDEN_WAIT_MS / 1000} s of load, wanted ${workers}` };
            }
            const before = (await w3.pools())[0]?.workers ?? [];
            const m = await measure(LABELS[key], w3.url, s, true);
            details = { readyWorkersBefore: ready, workersAfter: await workerSplit(w3, before) };
            return { status: 'measured', measurement: strip(m), details };
          } finally {
            // Evidence for w3's own shutdown: a SIGTERM after load that needs SIGKILL is worth knowing about.
            await w3.stop();
            details['stop'] = w3.processes[0]?.stopReport();
            if (w3.processes[0]?.stopReport()?.forced) problems.push(`${LABELS[key]}: w3 did not exit on SIGTERM within 10 s (killed)`);
          }
        });
      }

      await step('d', async () => {
        if (!nginx.available) return { status: 'skipped', reason: nginx.reason, details: { installLog: nginx.installLog } };
        const ngx = track(await startNginxProxy(nginx.bin, bare.port, ctx.processes));
        try {
          await check(ngx.url, false);
          return {
            status: 'measured',
            measurement: strip(await measure(LABELS.d, ngx.url, s)),
            details: { nginx: nginx.version, installedNow: nginx.installedNow, upstream: bare.url },
          };
        } finally {
          await ngx.stop();
        }
      });

      await step('e', async () => {
        const proxy = track(await startNodeAgentProxy(app, ctx.processes));
        try {
          await check(proxy.url, false);
          return {
            status: 'measured',
            measurement: strip(await measure(LABELS.e, proxy.url, s)),
            details: { transport: 'http.request + http.Agent({keepAlive, maxSockets: Infinity}) over a Unix socket' },
          };
        } finally {
          await proxy.stop();
        }
      });
    } finally {
      for (const srv of started.reverse()) await srv.stop();
    }

    const rps = (k: RunKey): number | undefined => runs.find((r) => r.key === k)?.measurement?.rpsMean;
    const p99 = (k: RunKey): number | undefined => runs.find((r) => r.key === k)?.measurement?.latencyMs.p99;
    const ratios = {
      'b/a': ratio(rps('b'), rps('a')),
      'b/d': ratio(rps('b'), rps('d')),
      'c/d': ratio(rps('c'), rps('d')),
      'd/a': ratio(rps('d'), rps('a')),
      'e/a': ratio(rps('e'), rps('a')),
      'b/e': ratio(rps('b'), rps('e')),
    };
    const p99s = Object.fromEntries((['a', 'b', 'c', 'd', 'e'] as const).map((k) => [k, p99(k) ?? null]));
    for (const r of runs) {
      const m = r.measurement;
      if (m && (m.errors > 0 || m.non2xx > 0)) problems.push(`${r.label}: ${m.errors} errors, ${m.non2xx} non-2xx`);
    }

    const file = writeResultJson(ctx.outDir, 'throughput.json', {
      section: 'throughput',
      ...meta,
      machineAfter: ctx.meta().machine,
      app,
      note:
        'autocannon runs in the bench process on the same machine and takes CPU from the servers under test; ' +
        'compare numbers from the same run only.',
      ratios,
      p99Ms: p99s,
      runs,
    });

    const lines = [
      `throughput — ${connections} keep-alive connections, ${durationS} s each after ${warmupS} s warm-up; ` +
        `${meta.machine.cores} cores, load ${meta.machine.loadavg.join(' ')} (autocannon shares the CPUs)`,
      ...formatTable(
        ['target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non2xx'],
        runs.map((r) =>
          r.measurement
            ? [r.label, Math.round(r.measurement.rpsMean), r.measurement.latencyMs.p50, r.measurement.latencyMs.p99, r.measurement.latencyMs.max, r.measurement.errors, r.measurement.non2xx]
            : [`${r.label} — ${r.status}: ${(r.reason ?? '').split('\n')[0]}`],
        ),
      ),
      '',
      'ratios (req/s): ' + Object.entries(ratios).map(([k, v]) => `${k} = ${v ?? '-'}`).join(', '),
      'p99 (ms): ' + Object.entries(p99s).map(([k, v]) => `${k} = ${v ?? '-'}`).join(', '),
    ];
    return { files: [file], lines, problems };
  },
};
