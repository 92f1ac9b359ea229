// Section "tracked-client": the lab's connection-tracking client against autocannon on the same w3 (1 worker,
// hello, AlwaysRunning), same connections and duration, the tracked client writing a real history file as in every
// lab run. The §6 goal it reports: tracked rate ≥ 0.8 × autocannon's.
//
// compareWithAutocannon measures autocannon first, then the tracked client. Running it for several rounds gives the
// sequence AC1 TR1 AC2 TR2 …; pairing neighbours gives pairs in both orders — (AC_k, TR_k) autocannon first and
// (TR_k, AC_k+1) tracked first — so a drift of the (shared, loaded) machine does not favour one tool. The headline
// ratio is the median over those pairs; the per-order medians show whether order mattered.
import path from 'node:path';
import { compareWithAutocannon, type ThroughputComparison } from '../workloads/compare-throughput';
import { writeResultJson } from './bench-env';
import { probeOnce } from './load';
import { startW3, type W3Server } from './servers';
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
    pairs.push({ order: 'autocannon-first', autocannonRound: i + 1, trackedRound: i + 1, autocannonRps: r.autocannon.rps, trackedRps: r.tracked.rps, ratio: ratio(r.tracked.rps, r.autocannon.rps) });
    const next = rounds[i + 1];
    if (next) {
      pairs.push({ order: 'tracked-first', autocannonRound: i + 2, trackedRound: i + 1, autocannonRps: next.autocannon.rps, trackedRps: r.tracked.rps, ratio: ratio(r.tracked.rps, next.autocannon.rps) });
    }
  });
  return pairs;
}

const roundTo2 = (x: number | undefined): number | null => (x === undefined ? null : Math.round(x * 100) / 100);

export const trackedClientSection: BenchSection = {
  name: 'tracked-client',
  description: `the lab's connection-tracking client vs autocannon on w3 (1 worker, hello), ${CONNECTIONS} connections`,
  async run(ctx: BenchContext): Promise<SectionReport> {
    const meta = ctx.meta();
    const { durationS, warmupS, rounds } = ctx.params;
    const durationMs = durationS * 1000;
    const warmupMs = warmupS * 1000;
    const app = path.join(ctx.repoRoot, 'targets', 'apps', 'hello.js');
    const problems: string[] = [];
    const results: (ThroughputComparison & { round: number })[] = [];
    const roundErrors: { round: number; error: string }[] = [];
    let w3: W3Server | undefined;
    let w3Stop: unknown = null;
    try {
      ctx.progress(`tracked-client: starting w3 (1 worker, hello) ...`);
      w3 = await startW3({ registry: ctx.processes, bin: ctx.params.w3Bin, app, maxProcesses: 1 });
      const first = await probeOnce(w3.url);
      if (first.status !== 200) throw new Error(`GET ${w3.url} answered ${first.status} before the measurement`);
      for (let round = 1; round <= rounds; round++) {
        ctx.progress(`  round ${round}/${rounds}: autocannon then tracked client, ${CONNECTIONS} connections, ${durationS} s each ...`);
        try {
          const c = await compareWithAutocannon(w3.url, CONNECTIONS, durationMs, { writeHistory: true, warmupMs });
          results.push({ round, ...c });
          ctx.progress(`  autocannon ${Math.round(c.autocannon.rps)} req/s, tracked ${Math.round(c.tracked.rps)} req/s (ratio ${c.ratio})`);
        } catch (err) {
          // Keep the rounds measured so far; a load tool that failed once is not retried blindly.
          const msg = err instanceof Error ? err.message : String(err);
          roundErrors.push({ round, error: msg });
          problems.push(`tracked-client round ${round} failed: ${msg.split('\n')[0]}`);
          break;
        }
      }
    } finally {
      await w3?.stop();
      w3Stop = w3?.processes[0]?.stopReport() ?? null;
    }

    for (const r of results) {
      if (r.autocannon.errors > 0 || r.autocannon.non2xx > 0) {
        problems.push(`tracked-client round ${r.round}: autocannon saw ${r.autocannon.errors} errors, ${r.autocannon.non2xx} non-2xx`);
      }
      if (r.tracked.ok < r.tracked.requests) problems.push(`tracked-client round ${r.round}: ${r.tracked.requests - r.tracked.ok} tracked requests not ok`);
    }
    const pairs = alternatingPairs(results);
    const pairRatios = (order?: RatePair['order']): (number | null)[] => pairs.filter((p) => !order || p.order === order).map((p) => p.ratio);
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

    const file = writeResultJson(ctx.outDir, 'tracked-client.json', {
      section: 'tracked-client',
      ...meta,
      machineAfter: ctx.meta().machine,
      app,
      parameters: { connections: CONNECTIONS, durationMs, warmupMs, rounds, writeHistory: true, w3: { maxProcesses: 1, startMode: 'AlwaysRunning' } },
      note:
        'Both tools run in the bench process on the same machine as w3. Each round is one compareWithAutocannon call ' +
        '(autocannon measured first); ratios pair neighbouring measurements so both orders are represented.',
      summary,
      goal,
      pairs,
      rounds: results,
      roundErrors,
      w3Stop,
    });

    const lines = [
      `tracked-client — ${CONNECTIONS} connections, ${durationS} s per measurement after ${warmupS} s warm-up, ${results.length}/${rounds} round(s); ` +
        `${meta.machine.cores} cores, load ${meta.machine.loadavg.join(' ')}`,
      ...formatTable(
        ['round', 'autocannon req/s', 'tracked req/s', 'tracked/autocannon', 'ac errors', 'tracked not ok'],
        results.map((r) => [r.round, Math.round(r.autocannon.rps), Math.round(r.tracked.rps), r.ratio, r.autocannon.errors + r.autocannon.non2xx, r.tracked.requests - r.tracked.ok]),
      ),
      '',
      `ratio tracked/autocannon (median over ${pairs.length} neighbouring pair(s)): ${summary.ratio ?? '-'} ` +
        `(autocannon first ${summary.ratioAutocannonFirst ?? '-'}, tracked first ${summary.ratioTrackedFirst ?? '-'}); ` +
        `goal ≥ ${GOAL_RATIO}: ${goal.met === null ? 'unknown' : goal.met ? 'met' : 'NOT met'}`,
    ];
    return { files: [file], lines, problems };
  },
};
