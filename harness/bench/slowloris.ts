// Section "slowloris": what 1,000 slowloris sockets cost a healthy client. One w3 (1 worker, hello) is measured with
// a healthy keep-alive client (autocannon, 20 connections) alone, then while a separate attacker process holds 1,000
// connections whose heads never end (one header byte per second), alternating: alone, attack, alone, attack, …,
// alone. Each attack run is paired with the alone runs on both sides, so a drift of the shared machine does not
// favour one side; the headline is the median over those pairs of p99 under attack / p99 alone, with the goal
// ≤ 2×. w3's header-wait timer is set to outlast the opening of the sockets and the whole measurement, and each
// attack run checks that the sockets really were held throughout it (the server's fds, no socket cut before the
// measurement ended) and then were all cut by the timer, not earlier and not by the attacker.
// The attacker and w3 each need an open-file limit well above 1,000: when the limit is too low the section
// runs them under `prlimit` (when this process may raise a hard limit) or fails saying which limit to raise.
import fs from 'node:fs';
import { writeResultJson, type RunMeta } from './bench-env';
import { measure, probeOnce, type LoadSettings, type ThroughputMeasurement } from './load';
import { childScript, launch, type Launcher, type W3Server } from './servers';
import { benchApp, goalWord, machineLine, resultHead, withW3 } from './section-kit';
import { formatTable, ratio } from './table';
import { medianOf } from './timings';
import type { BenchContext, BenchSection, SectionReport } from './section';

export const SOCKETS = 1000;
const HEALTHY_CONNECTIONS = 20;
/** One header byte per socket this often: slow enough to be an attack, often enough to defeat an idle timer. */
const TRICKLE_MS = 1000;
/** The header-wait timer outlasts the warm-up and measurement by this much (opening 1,000 sockets takes seconds). */
const TIMER_SLACK_S = 15;
/** Node checks its header timer this often at most (the listener's interval for a timer of 10 s and more). */
const TIMER_CHECK_MS = 1000;
const GOAL_P99_RATIO = 2;
const OPEN_TIMEOUT_MS = 60_000;
/** Descriptors w3 needs: it admits half its open-file limit minus 64 (automatic maxConnections). */
export const FDS_NEEDED = 2 * (SOCKETS + HEALTHY_CONNECTIONS + 64 + 64);

export class SlowlorisSetupError extends Error {
  readonly code = 'LAB_ERR_BENCH_SLOWLORIS';
}

type Phase = 'alone' | 'attack';

export interface Healthy {
  rpsMean: number;
  requests: number;
  latencyMs: ThroughputMeasurement['latencyMs'];
  errors: number;
  timeouts: number;
  non2xx: number;
  loadavgBefore: number[];
  loadavgAfter: number[];
}

export interface AttackReport {
  opened: { sockets: number; failed: number; stillOpen: number; ms: number; at: number };
  done: {
    opened: number;
    failed: number;
    cutByServer: number;
    endedByAttacker: number;
    heldMs: { min: number; median: number; max: number } | null;
    firstCutAt: number | null;
    lastCutAt: number | null;
    answered: number;
  } | null;
  /** When the healthy client's measured run ended (epoch ms). */
  measuredUntil: number;
}

export interface SlowlorisRun {
  /** Position in the alternating sequence (1-based). */
  seq: number;
  phase: Phase;
  healthy: Healthy;
  /** Descriptors of the w3 host before the run and once the healthy client's measurement ended. */
  hostFds: { before: number | null; end: number | null };
  attack?: AttackReport;
}

export interface RatioPair {
  order: 'alone-first' | 'attack-first';
  aloneSeq: number;
  attackSeq: number;
  p99: number | null;
  p50: number | null;
  rps: number | null;
}

/** alone, attack, alone, …, alone: `rounds` attack runs, each between two alone runs. */
export function slowlorisSequence(rounds: number): Phase[] {
  const out: Phase[] = ['alone'];
  for (let i = 0; i < rounds; i++) out.push('attack', 'alone');
  return out;
}

/** Every attack run with its neighbouring alone runs (before: alone first; after: attack first). */
export function slowlorisPairs(runs: readonly Pick<SlowlorisRun, 'seq' | 'phase' | 'healthy'>[]): RatioPair[] {
  const pairs: RatioPair[] = [];
  runs.forEach((r, i) => {
    if (r.phase !== 'attack') return;
    for (const [order, n] of [
      ['alone-first', runs[i - 1]],
      ['attack-first', runs[i + 1]],
    ] as const) {
      if (n?.phase !== 'alone') continue;
      pairs.push({
        order,
        aloneSeq: n.seq,
        attackSeq: r.seq,
        p99: ratio(r.healthy.latencyMs.p99, n.healthy.latencyMs.p99),
        p50: ratio(r.healthy.latencyMs.p50, n.healthy.latencyMs.p50),
        rps: ratio(r.healthy.rpsMean, n.healthy.rpsMean),
      });
    }
  });
  return pairs;
}

export function summarizeSlowloris(runs: readonly SlowlorisRun[]) {
  const pairs = slowlorisPairs(runs);
  const of = (phase: Phase, pick: (h: Healthy) => number): number | null =>
    medianOf(runs.filter((r) => r.phase === phase).map((r) => pick(r.healthy))) ?? null;
  const med = (pick: (p: RatioPair) => number | null): number | null => medianOf(pairs.map(pick)) ?? null;
  const summary = {
    alone: { p50: of('alone', (h) => h.latencyMs.p50), p99: of('alone', (h) => h.latencyMs.p99) },
    attack: { p50: of('attack', (h) => h.latencyMs.p50), p99: of('attack', (h) => h.latencyMs.p99) },
    rps: { alone: of('alone', (h) => h.rpsMean), attack: of('attack', (h) => h.rpsMean) },
    /** Headline: median over the neighbouring pairs of p99 under attack / p99 alone. */
    p99Ratio: med((p) => p.p99),
    p50Ratio: med((p) => p.p50),
    rpsRatio: med((p) => p.rps),
  };
  const met = summary.p99Ratio === null ? null : summary.p99Ratio <= GOAL_P99_RATIO;
  return { summary, goal: { p99RatioAtMost: GOAL_P99_RATIO, met }, pairs };
}

/** What must hold for an attack run to count: the attack was in place throughout, then the timer ended it. */
export function attackProblems(run: SlowlorisRun, timerMs: number): string[] {
  const a = run.attack;
  if (!a) return [];
  const at = `slowloris run ${run.seq}`;
  const problems: string[] = [];
  if (a.opened.sockets !== SOCKETS || a.opened.stillOpen !== SOCKETS) {
    problems.push(`${at}: ${a.opened.stillOpen}/${SOCKETS} attack sockets open when the measurement began`);
  }
  const d = a.done;
  if (!d) return [...problems, `${at}: the attacker never reported how its sockets ended`];
  if (d.firstCutAt !== null && d.firstCutAt < a.measuredUntil) {
    problems.push(`${at}: w3 closed an attack socket before the measurement ended (the attack was not held)`);
  }
  if (d.cutByServer !== d.opened) {
    problems.push(`${at}: only ${d.cutByServer}/${d.opened} attack sockets were cut by w3 (the rest by the attacker)`);
  }
  if (d.heldMs && d.heldMs.min < timerMs - TIMER_CHECK_MS - 100) {
    problems.push(`${at}: an attack socket was cut after ${d.heldMs.min} ms, before the ${timerMs} ms timer`);
  }
  return problems;
}

function healthyProblems(run: SlowlorisRun): string[] {
  const h = run.healthy;
  if (h.errors === 0 && h.non2xx === 0) return [];
  return [`slowloris run ${run.seq} (${run.phase}): healthy client saw ${h.errors} errors, ${h.non2xx} non-2xx`];
}

function hostFds(w3: W3Server): number | null {
  try {
    return fs.readdirSync(`/proc/${w3.processes[0]!.pid}/fd`).length;
  } catch {
    return null;
  }
}

function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return !m || m[1] === 'unlimited' ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/**
 * Node raises its soft open-file limit to the hard one at start, so this process's limit is what w3 and the
 * attacker get. Below FDS_NEEDED both run under prlimit, which needs the privilege to raise a hard limit: when it
 * cannot, w3 fails to start and the section says what to raise.
 */
export function fdLauncher(limit: number | null): Launcher | undefined {
  if (limit === null || limit >= FDS_NEEDED) return undefined;
  return { prefix: ['prlimit', `--nofile=${FDS_NEEDED}:${FDS_NEEDED}`, '--'], readyTimeoutMs: 30_000 };
}

function healthyOf(m: ThroughputMeasurement): Healthy {
  const { rpsMean, requests, latencyMs, errors, timeouts, non2xx, loadavgBefore, loadavgAfter } = m;
  return { rpsMean, requests, latencyMs, errors, timeouts, non2xx, loadavgBefore, loadavgAfter };
}

interface RunSetup {
  ctx: BenchContext;
  w3: W3Server;
  load: LoadSettings;
  timerMs: number;
  launcher: Launcher | undefined;
}

async function aloneRun(o: RunSetup, seq: number): Promise<SlowlorisRun> {
  const before = hostFds(o.w3);
  const m = await measure('alone', o.w3.url, o.load);
  return { seq, phase: 'alone', healthy: healthyOf(m), hostFds: { before, end: hostFds(o.w3) } };
}

async function attackRun(o: RunSetup, seq: number): Promise<SlowlorisRun> {
  const before = hostFds(o.w3);
  const args = [
    childScript('slowloris-attacker'),
    ...['--port', String(o.w3.port), '--sockets', String(SOCKETS), '--interval-ms', String(TRICKLE_MS)],
    ...['--hold-ms', String(o.timerMs + OPEN_TIMEOUT_MS)],
  ];
  const attacker = launch('slowloris-attacker', process.execPath, args, o.ctx.processes, o.launcher);
  try {
    const first = await attacker.waitForJsonLine<{ opened?: AttackReport['opened']; error?: string }>(
      (j) => 'opened' in j || 'error' in j,
      OPEN_TIMEOUT_MS,
    );
    if (!first.opened) throw new SlowlorisSetupError(`slowloris attacker: ${first.error ?? 'no report'}`);
    o.ctx.progress(`  ${first.opened.stillOpen}/${SOCKETS} slowloris sockets open after ${first.opened.ms} ms`);
    const m = await measure('attack', o.w3.url, o.load);
    const measuredUntil = Date.now();
    const end = hostFds(o.w3);
    o.ctx.progress(`  waiting for w3's header-wait timer (${o.timerMs} ms) to cut them ...`);
    const last = await attacker
      .waitForJsonLine<{ done: NonNullable<AttackReport['done']> }>((j) => 'done' in j, o.timerMs + OPEN_TIMEOUT_MS)
      .catch(() => null);
    const attack: AttackReport = { opened: first.opened, done: last?.done ?? null, measuredUntil };
    return { seq, phase: 'attack', healthy: healthyOf(m), hostFds: { before, end }, attack };
  } finally {
    await attacker.stop();
  }
}

async function measureSequence(o: RunSetup): Promise<SlowlorisRun[]> {
  const probe = await probeOnce(o.w3.url);
  if (probe.status !== 200) throw new Error(`GET ${o.w3.url} answered ${probe.status} before the measurement`);
  const phases = slowlorisSequence(o.ctx.params.rounds);
  const runs: SlowlorisRun[] = [];
  for (const [i, phase] of phases.entries()) {
    o.ctx.progress(`  run ${i + 1}/${phases.length}: healthy client ${phase === 'alone' ? 'alone' : 'under attack'}`);
    const run = await (phase === 'alone' ? aloneRun(o, i + 1) : attackRun(o, i + 1));
    const l = run.healthy.latencyMs;
    o.ctx.progress(`  ${Math.round(run.healthy.rpsMean)} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms`);
    runs.push(run);
  }
  return runs;
}

function slowlorisLines(
  meta: RunMeta,
  params: BenchContext['params'],
  runs: readonly SlowlorisRun[],
  r: ReturnType<typeof summarizeSlowloris>,
  timerMs: number,
): string[] {
  const { durationS, warmupS } = params;
  const held = (x: SlowlorisRun): string => {
    const h = x.attack?.done?.heldMs;
    return h ? `${h.min}–${h.max}` : '-';
  };
  const s = r.summary;
  return [
    `slowloris — healthy client: ${HEALTHY_CONNECTIONS} keep-alive connections, ${durationS} s per run after ` +
      `${warmupS} s warm-up; attack: ${SOCKETS} sockets, 1 header byte/${TRICKLE_MS} ms, header-wait timer ` +
      `${timerMs / 1000} s; ${machineLine(meta)}`,
    ...formatTable(
      ['run', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non2xx', 'host fds', 'cut by timer', 'held ms'],
      runs.map((x) => [
        `${x.seq}: ${x.phase}`,
        Math.round(x.healthy.rpsMean),
        x.healthy.latencyMs.p50,
        x.healthy.latencyMs.p99,
        x.healthy.latencyMs.max,
        x.healthy.errors,
        x.healthy.non2xx,
        x.hostFds.end,
        x.attack ? `${x.attack.done?.cutByServer ?? '-'}/${SOCKETS}` : '',
        x.attack ? held(x) : '',
      ]),
    ),
    '',
    `medians: alone p99 ${s.alone.p99 ?? '-'} ms, ${Math.round(s.rps.alone ?? 0)} req/s; under attack p99 ` +
      `${s.attack.p99 ?? '-'} ms, ${Math.round(s.rps.attack ?? 0)} req/s`,
    `ratio under attack / alone (median over ${r.pairs.length} neighbouring pair(s)): p99 ${s.p99Ratio ?? '-'}, ` +
      `p50 ${s.p50Ratio ?? '-'}, req/s ${s.rpsRatio ?? '-'}; goal p99 ≤ ${GOAL_P99_RATIO}×: ${goalWord(r.goal.met)}`,
  ];
}

export const slowlorisSection: BenchSection = {
  name: 'slowloris',
  description: `a healthy client's latency on w3 alone vs under ${SOCKETS} slowloris sockets (goal p99 ≤ 2×)`,
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const { durationS, warmupS, rounds } = ctx.params;
    const timerMs = (warmupS + durationS + TIMER_SLACK_S) * 1000;
    const limit = openFileLimit();
    const launcher = fdLauncher(limit);
    if (launcher)
      ctx.progress(`slowloris: open-file limit ${limit} < ${FDS_NEEDED}: w3 and the attacker under prlimit`);
    const app = benchApp(ctx, 'hello.js');
    const w3Options = {
      app,
      maxProcesses: 1,
      hostSettings: { timers: { headerWaitTimeout: timerMs } },
      ...(launcher ? { launcher } : {}),
      ...(ctx.params.w3Transport ? { transport: ctx.params.w3Transport } : {}),
    };
    ctx.progress(`slowloris: starting w3 (1 worker, hello, header-wait timer ${timerMs} ms) ...`);
    const load = { connections: HEALTHY_CONNECTIONS, durationS, warmupS };
    const out = await withW3(ctx, w3Options, (w3) => measureSequence({ ctx, w3, load, timerMs, launcher })).catch(
      (err: unknown) => {
        if (!launcher) throw err;
        throw new SlowlorisSetupError(
          `the open-file limit is ${limit} and prlimit could not raise it to ${FDS_NEEDED} ` +
            '(raising a hard limit needs privilege): ' +
            `run \`ulimit -n ${FDS_NEEDED}\` before the bench. ${err instanceof Error ? err.message : String(err)}`,
        );
      },
    );
    const runs = out.value;
    const r = summarizeSlowloris(runs);
    const problems = runs.flatMap((x) => [...healthyProblems(x), ...attackProblems(x, timerMs)]);
    const file = writeResultJson(ctx.outDir, 'slowloris.json', {
      ...resultHead(ctx, meta, 'slowloris', app),
      parameters: {
        sockets: SOCKETS,
        trickleMs: TRICKLE_MS,
        healthyConnections: HEALTHY_CONNECTIONS,
        durationS,
        warmupS,
        rounds,
        order: 'alone, attack, alone, …, alone (each attack run paired with the alone runs on both sides)',
        headerWaitTimeoutMs: timerMs,
        openFileLimit: limit,
        prlimit: launcher ? FDS_NEEDED : null,
        w3: { maxProcesses: 1, startMode: 'AlwaysRunning', transport: ctx.params.w3Transport ?? 'default' },
      },
      note:
        'autocannon runs in the bench process; the attacker in a child process of its own. Ratios pair each attack ' +
        'run with the alone runs before and after it.',
      summary: r.summary,
      goal: r.goal,
      pairs: r.pairs,
      runs,
      w3Stop: out.w3Stop,
    });
    return { files: [file], lines: slowlorisLines(meta, ctx.params, runs, r, timerMs), problems };
  },
};
