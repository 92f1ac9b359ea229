// Section "throughput": req/s, latency and CPU per request of the hello app behind bare Node, HAProxy → Node,
// nginx → Node, w3 with 1 worker and w3 with 2 workers, each loaded by wrk (C, 1 thread) and by autocannon (Node, in
// this process) with the same keep-alive connection count. All targets run for the whole section and are first
// primed with 20,000 requests (so the JIT has settled even on a slow machine); then every round
// measures each (client, target) pair once after its own warm-up, and the target order reverses every round, so
// slow drifts of the machine fall on all of them alike. CPU time per request (front process, app processes) comes
// from /proc over each measured window and moves much less than req/s when the machine is shared; the other load
// on the machine during each window is reported too. Goals reported: w3 (1 worker) ≥ 1.0 × HAProxy req/s with wrk,
// p99 no worse, and w3 with 2 workers no slower than with 1.
import { writeResultJson } from './bench-env';
import { runAutocannonClient } from './autocannon-client';
import { startCpuWindow } from './cpu-usage';
import { formatTable } from './table';
import {
  evidenceBefore,
  startTargets,
  TARGET_LABELS,
  type BenchTarget,
  type SkippedTarget,
  type TargetKey,
} from './throughput-targets';
import {
  goals,
  perRequest,
  quietMachine,
  ratios,
  summarize,
  QUIET_OTHER_LOAD_CORES,
  type Measurement,
} from './throughput-summary';
import { probePerf, startPerfStat, type PerfAvailability } from './perf-stat';
import { findTool, WRK } from './tools';
import { runWrk } from './wrk';
import type { ClientName, ClientResult, LoadShape } from './load-client';
import type { StartedServer, W3Server } from './servers';
import type { BenchContext, BenchSection, SectionReport } from './section';

type Client = { name: ClientName; run: (shape: LoadShape) => Promise<ClientResult> };

function clients(ctx: BenchContext, skipped: { client: ClientName; reason: string }[]): Client[] {
  const out: Client[] = [];
  const wanted = ctx.params.throughputClients;
  if (wanted.includes('wrk')) {
    const wrk = findTool(WRK);
    if (wrk.available) out.push({ name: 'wrk', run: (s) => runWrk({ ...s, bin: wrk.bin }) });
    else skipped.push({ client: 'wrk', reason: wrk.reason });
  }
  if (wanted.includes('autocannon')) out.push({ name: 'autocannon', run: runAutocannonClient });
  return out;
}

async function measureOnce(
  ctx: BenchContext,
  t: BenchTarget,
  c: Client,
  round: number,
  perf: PerfAvailability,
): Promise<Measurement> {
  const { connections, durationS, warmupS } = ctx.params;
  await t.prepare();
  if (warmupS > 0) await c.run({ url: t.url, connections, durationS: warmupS });
  const before = await evidenceBefore(t);
  const roles = t.roles();
  const stopPerf = perf.available ? [startPerfStat(perf, roles.front), startPerfStat(perf, roles.back)] : [];
  const end = startCpuWindow(roles);
  const result = await c.run({ url: t.url, connections, durationS });
  const cpuWindow = end();
  const [front, back] = await Promise.all(stopPerf.map((stop) => stop()));
  const counts = { front: front ?? null, back: back ?? null };
  const m: Measurement = {
    round,
    client: c.name,
    target: t.key,
    result,
    cpuWindow,
    cpu: perRequest(result, cpuWindow, counts),
    counts,
  };
  if (t.evidence) m.evidence = await t.evidence(before);
  return m;
}

/** Before the first round: enough requests through every target for the JIT to settle, however slow the machine. */
const PRIME_REQUESTS = 20_000;
const PRIME_MAX_MS = 30_000;

async function prime(ctx: BenchContext, t: BenchTarget, c: Client): Promise<number> {
  await t.prepare();
  const deadline = Date.now() + PRIME_MAX_MS;
  let served = 0;
  while (served < PRIME_REQUESTS && Date.now() < deadline) {
    served += (await c.run({ url: t.url, connections: ctx.params.connections, durationS: 1 })).requests;
  }
  return served;
}

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined ? '-' : String(x);
}

type Failure = { round: number; client: ClientName; target: TargetKey; error: string };

/** Every (client, target) pair once per round; the order of both reverses every other round. */
async function runRounds(
  ctx: BenchContext,
  targets: BenchTarget[],
  cs: Client[],
  perf: PerfAvailability,
  problems: string[],
): Promise<{ measurements: Measurement[]; failures: Failure[] }> {
  const measurements: Measurement[] = [];
  const failures: Failure[] = [];
  const { rounds } = ctx.params;
  for (let round = 0; round < rounds; round++) {
    const flip = <T>(xs: T[]): T[] => (round % 2 === 0 ? xs : [...xs].reverse());
    for (const c of flip(cs)) {
      for (const t of flip(targets)) {
        const what = `${c.name} -> ${t.key} round ${round + 1}`;
        ctx.progress(`throughput round ${round + 1}/${rounds}: ${c.name} -> ${TARGET_LABELS[t.key]} ...`);
        try {
          const m = await measureOnce(ctx, t, c, round, perf);
          measurements.push(m);
          ctx.progress(progressLine(m));
          const { errors, non2xx } = m.result;
          if (errors > 0 || non2xx > 0) problems.push(`${what}: ${errors} errors, ${non2xx} failed statuses`);
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          failures.push({ round, client: c.name, target: t.key, error: msg });
          problems.push(`${what} failed: ${msg.split('\n')[0]}`);
          ctx.progress(`  failed: ${msg}`);
        }
      }
    }
  }
  return { measurements, failures };
}

function progressLine(m: Measurement): string {
  return (
    `  ${Math.round(m.result.rps)} req/s, p99 ${m.result.latencyMs.p99} ms, ` +
    `front ${fmt(m.cpu.frontUs)} µs/req, total ${fmt(m.cpu.totalUs)} µs/req, ` +
    `front ${fmt(m.cpu.frontSyscalls)} syscalls/req, other load ${fmt(m.cpu.otherLoadCores)} cores`
  );
}

async function primeAll(ctx: BenchContext, targets: BenchTarget[], c: Client | undefined): Promise<void> {
  if (!c) return;
  for (const t of targets) {
    ctx.progress(
      `throughput: priming ${TARGET_LABELS[t.key]} (${PRIME_REQUESTS} requests or ${PRIME_MAX_MS / 1000} s)`,
    );
    try {
      await prime(ctx, t, c);
    } catch (err) {
      ctx.progress(`  priming failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

async function stopAllServers(started: StartedServer[], problems: string[]): Promise<void> {
  for (const srv of [...started].reverse()) {
    await srv.stop();
    const w3 = srv as Partial<W3Server>;
    if (w3.admin && srv.processes[0]?.stopReport()?.forced) {
      problems.push(`${srv.name}: w3 did not exit on SIGTERM within 10 s (killed)`);
    }
  }
}

const RERUN =
  'npm run bench -- throughput (settings: BENCH_DURATION_S, BENCH_WARMUP_S, BENCH_ROUNDS, BENCH_CONNECTIONS, ' +
  'BENCH_TARGETS, BENCH_CLIENTS)';

export const throughputSection: BenchSection = {
  name: 'throughput',
  description: 'req/s, p99 and CPU µs/request: bare node, HAProxy, nginx, w3 1 and 2 workers; wrk and autocannon',
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const problems: string[] = [];
    const skippedClients: { client: ClientName; reason: string }[] = [];
    const cs = clients(ctx, skippedClients);
    const perf = probePerf();
    const started: StartedServer[] = [];
    let skippedTargets: SkippedTarget[];
    let targets: BenchTarget[];
    let run: { measurements: Measurement[]; failures: Failure[] };
    try {
      ({ targets, skipped: skippedTargets } = await startTargets(
        ctx,
        ctx.params.throughputTargets as TargetKey[],
        started,
      ));
      for (const s of skippedTargets) if (s.failed) problems.push(`${TARGET_LABELS[s.key]} ${s.reason.split('\n')[0]}`);
      await primeAll(ctx, targets, cs[0]);
      run = await runRounds(ctx, targets, cs, perf, problems);
    } finally {
      await stopAllServers(started, problems);
    }

    const summary = summarize(run.measurements);
    const ratioTable = ratios(summary);
    const goalList = goals(summary);
    const quiet = quietMachine(summary);
    const file = writeResultJson(ctx.outDir, 'throughput.json', {
      section: 'throughput',
      ...meta,
      machineAfter: ctx.meta().machine,
      rerun: RERUN,
      note:
        'Clients and servers share the machine; req/s is comparable only within one run. CPU µs per request is read ' +
        'from /proc (utime+stime of each role) over the measured window; otherLoadCores is the rest of the machine.',
      targets: Object.fromEntries(targets.map((t) => [t.key, { label: TARGET_LABELS[t.key], ...t.details }])),
      skippedTargets,
      skippedClients,
      perf: perf.available ? { events: perf.events } : { skipped: perf.reason },
      summary,
      ratios: ratioTable,
      goals: goalList,
      quietMachine: quiet,
      failures: run.failures,
      measurements: run.measurements,
    });
    const lines = reportLines(ctx, summary, ratioTable, goalList, quiet, skippedTargets, skippedClients);
    if (!perf.available) lines.push(`syscall counts skipped: ${perf.reason}`);
    return { files: [file], lines, problems };
  },
};

function reportLines(
  ctx: BenchContext,
  summary: ReturnType<typeof summarize>,
  ratioTable: ReturnType<typeof ratios>,
  goalList: ReturnType<typeof goals>,
  quiet: ReturnType<typeof quietMachine>,
  skippedTargets: SkippedTarget[],
  skippedClients: { client: ClientName; reason: string }[],
): string[] {
  const { connections, durationS, warmupS, rounds } = ctx.params;
  const lines = [
    `throughput — ${connections} keep-alive connections, ${durationS} s measured after ${warmupS} s warm-up, ` +
      `${rounds} round(s) alternating the order; medians over rounds; µs = CPU µs per request ` +
      `(front = the accepting process), sys = its system calls per request`,
    ...formatTable(
      ['client', 'target', 'req/s', 'p50 ms', 'p99 ms', 'front µs', 'total µs', 'front sys', 'other load', 'errors'],
      summary.map((s) => [
        s.client,
        TARGET_LABELS[s.target],
        Math.round(s.rps),
        s.p50Ms,
        s.p99Ms,
        s.frontUs,
        s.totalUs,
        s.frontSyscalls,
        s.otherLoadCores,
        s.errors + s.non2xx,
      ]),
    ),
    '',
  ];
  for (const [client, r] of Object.entries(ratioTable)) {
    if (Object.values(r).every((v) => v === null)) continue;
    lines.push(
      `ratios (${client}, req/s): ` +
        Object.entries(r)
          .map(([k, v]) => `${k} = ${v ?? '-'}`)
          .join(', '),
    );
  }
  for (const g of goalList)
    lines.push(`goal [${g.client}] ${g.goal}: ${g.met === null ? 'unknown' : g.met ? 'met' : 'NOT met'} (${g.detail})`);
  for (const s of skippedTargets) lines.push(`skipped ${TARGET_LABELS[s.key]}: ${s.reason.split('\n')[0]}`);
  for (const s of skippedClients) lines.push(`skipped client ${s.client}: ${s.reason}`);
  if (quiet.quiet === false) {
    lines.push(
      `NOTE: the machine was busy with other work (up to ${quiet.worstOtherLoadCores} cores beyond the servers ` +
        `and the client; quiet means ≤ ${QUIET_OTHER_LOAD_CORES}): compare the CPU µs and syscall columns ` +
        `(or run the instructions section), and re-run on a quiet machine for req/s.`,
    );
  }
  return lines;
}
