// Section "tracked-client": the lab's connection-tracking client against autocannon on the same w3 (1 worker,
// hello, AlwaysRunning), same connections and duration, the tracked client writing a real history file as in every
// lab run. The goal it reports: tracked rate ≥ 0.8 × autocannon's (the lab's own client must not be what limits
// a run).
//
// compareWithAutocannon measures autocannon first, then the tracked client. Running it for several rounds gives the
// sequence AC1 TR1 AC2 TR2 …; pairing neighbours gives pairs in both orders — (AC_k, TR_k) autocannon first and
// (TR_k, AC_k+1) tracked first — so a drift of the (shared, loaded) machine does not favour one tool. The headline
// ratio is the median over those pairs; the per-order medians show whether order mattered.
import { compareWithAutocannon, type ThroughputComparison } from '../workloads/compare-throughput';
import { writeResultJson, type RunMeta } from './bench-env';
import { probeOnce } from './load';
import type { W3Server } from './servers';
import { benchApp, firstLine, goalWord, machineLine, resultHead, withW3 } from './section-kit';
import { formatTable, ratio } from './table';
import { medianOf } from './timings';
import type { BenchContext, BenchSection, SectionReport } from './section';

const CONNECTIONS = 50;
const GOAL_RATIO = 0.8;

export interface RatePair {
  order: 'autocannon-first' | 'tracked-first';
  /** Rounds the two measurements come from. */
  autocannonRound: number;
  trackedRound: number;
  autocannonRps: number;
  trackedRps: number;
  ratio: number | null;
}

/** Neighbouring measurements of the sequence AC1 TR1 AC2 TR2 … as (autocannon, tracked) pairs in both orders. */
export function alternatingPairs(rounds: readonly Pick<ThroughputComparison, 'autocannon' | 'tracked'>[]): RatePair[] {
  const pairs: RatePair[] = [];
  rounds.forEach((r, i) => {
    pairs.push({
      order: 'autocannon-first',
      autocannonRound: i + 1,
      trackedRound: i + 1,
      autocannonRps: r.autocannon.rps,
      trackedRps: r.tracked.rps,
      ratio: ratio(r.tracked.rps, r.autocannon.rps),
    });
    const next = rounds[i + 1];
    if (next) {
      pairs.push({
        order: 'tracked-first',
        autocannonRound: i + 2,
        trackedRound: i + 1,
        autocannonRps: next.autocannon.rps,
        trackedRps: r.tracked.rps,
        ratio: ratio(r.tracked.rps, next.autocannon.rps),
      });
    }
  });
  return pairs;
}

const roundTo2 = (x: number | undefined): number | null => (x === undefined ? null : Math.round(x * 100) / 100);

type RoundResult = ThroughputComparison & { round: number };

interface TrackedMeasured {
  results: RoundResult[];
  roundErrors: { round: number; error: string }[];
  problems: string[];
}

/** The rounds; a round whose load tool failed ends the series (kept so far, not retried blindly). */
async function measureRounds(ctx: BenchContext, w3: W3Server): Promise<TrackedMeasured> {
  const { durationS, warmupS, rounds } = ctx.params;
  const out: TrackedMeasured = { results: [], roundErrors: [], problems: [] };
  const first = await probeOnce(w3.url);
  if (first.status !== 200) throw new Error(`GET ${w3.url} answered ${first.status} before the measurement`);
  for (let round = 1; round <= rounds; round++) {
    ctx.progress(
      `  round ${round}/${rounds}: autocannon then tracked client, ${CONNECTIONS} connections, ${durationS} s each ...`,
    );
    try {
      const options = { writeHistory: true, warmupMs: warmupS * 1000 };
      const c = await compareWithAutocannon(w3.url, CONNECTIONS, durationS * 1000, options);
      out.results.push({ round, ...c });
      const rates = `autocannon ${Math.round(c.autocannon.rps)} req/s, tracked ${Math.round(c.tracked.rps)} req/s`;
      ctx.progress(`  ${rates} (ratio ${c.ratio})`);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      out.roundErrors.push({ round, error: msg });
      out.problems.push(`tracked-client round ${round} failed: ${firstLine(msg)}`);
      break;
    }
  }
  return out;
}

function roundProblems(results: readonly RoundResult[]): string[] {
  const problems: string[] = [];
  for (const r of results) {
    if (r.autocannon.errors > 0 || r.autocannon.non2xx > 0) {
      problems.push(
        `tracked-client round ${r.round}: autocannon saw ${r.autocannon.errors} errors, ${r.autocannon.non2xx} non-2xx`,
      );
    }
    if (r.tracked.ok < r.tracked.requests) {
      problems.push(`tracked-client round ${r.round}: ${r.tracked.requests - r.tracked.ok} tracked requests not ok`);
    }
  }
  return problems;
}

export function summarizeRates(results: readonly RoundResult[]) {
  const pairs = alternatingPairs(results);
  const pairRatios = (order?: RatePair['order']): (number | null)[] =>
    pairs.filter((p) => !order || p.order === order).map((p) => p.ratio);
  const summary = {
    autocannonRpsMedian: medianOf(results.map((r) => r.autocannon.rps)) ?? null,
    trackedRpsMedian: medianOf(results.map((r) => r.tracked.rps)) ?? null,
    /** Headline: median over the neighbouring pairs in both orders. */
    ratio: roundTo2(medianOf(pairRatios())),
    ratioAutocannonFirst: roundTo2(medianOf(pairRatios('autocannon-first'))),
    ratioTrackedFirst: roundTo2(medianOf(pairRatios('tracked-first'))),
    ratioOfMedians: ratio(medianOf(results.map((r) => r.tracked.rps)), medianOf(results.map((r) => r.autocannon.rps))),
  };
  const goal = { ratioAtLeast: GOAL_RATIO, met: summary.ratio === null ? null : summary.ratio >= GOAL_RATIO };
  return { summary, goal, pairs };
}

function trackedLines(
  meta: RunMeta,
  params: BenchContext['params'],
  results: readonly RoundResult[],
  r: ReturnType<typeof summarizeRates>,
): string[] {
  const { durationS, warmupS, rounds } = params;
  return [
    `tracked-client — ${CONNECTIONS} connections, ${durationS} s per measurement after ${warmupS} s warm-up, ` +
      `${results.length}/${rounds} round(s); ${machineLine(meta)}`,
    ...formatTable(
      ['round', 'autocannon req/s', 'tracked req/s', 'tracked/autocannon', 'ac errors', 'tracked not ok'],
      results.map((x) => [
        x.round,
        Math.round(x.autocannon.rps),
        Math.round(x.tracked.rps),
        x.ratio,
        x.autocannon.errors + x.autocannon.non2xx,
        x.tracked.requests - x.tracked.ok,
      ]),
    ),
    '',
    `ratio tracked/autocannon (median over ${r.pairs.length} neighbouring pair(s)): ${r.summary.ratio ?? '-'} ` +
      `(autocannon first ${r.summary.ratioAutocannonFirst ?? '-'}, ` +
      `tracked first ${r.summary.ratioTrackedFirst ?? '-'}); goal ≥ ${GOAL_RATIO}: ${goalWord(r.goal.met)}`,
  ];
}

export const trackedClientSection: BenchSection = {
  name: 'tracked-client',
  description: `the lab's connection-tracking client vs autocannon on w3 (1 worker, hello), ${CONNECTIONS} connections`,
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const { durationS, warmupS, rounds } = ctx.params;
    const app = benchApp(ctx, 'hello.js');
    ctx.progress(`tracked-client: starting w3 (1 worker, hello) ...`);
    const out = await withW3(ctx, { app, maxProcesses: 1 }, (w3) => measureRounds(ctx, w3));
    const { results, roundErrors } = out.value;
    const problems = [...out.value.problems, ...roundProblems(results)];
    const r = summarizeRates(results);
    const file = writeResultJson(ctx.outDir, 'tracked-client.json', {
      ...resultHead(ctx, meta, 'tracked-client', app),
      parameters: {
        connections: CONNECTIONS,
        durationMs: durationS * 1000,
        warmupMs: warmupS * 1000,
        rounds,
        writeHistory: true,
        w3: { maxProcesses: 1, startMode: 'AlwaysRunning' },
      },
      note:
        'Both tools run in the bench process on the same machine as w3. Each round is one compareWithAutocannon call ' +
        '(autocannon measured first); ratios pair neighbouring measurements so both orders are represented.',
      summary: r.summary,
      goal: r.goal,
      pairs: r.pairs,
      rounds: results,
      roundErrors,
      w3Stop: out.w3Stop,
    });
    return { files: [file], lines: trackedLines(meta, ctx.params, results, r), problems };
  },
};
