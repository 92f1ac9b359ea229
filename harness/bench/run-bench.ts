// Entry point of `npm run bench`: runs the benchmark sections listed below (all, or those named on the command
// line), each writing results/bench/<section>.json, then prints their tables. Parameters come from BENCH_* env
// variables (see bench-env). Exit code: 0 when every section ran and reported no problem, 1 when a section reported
// a problem (e.g. failed requests during recycles), 254 for bad usage, 255 when a section crashed.
import path from 'node:path';
import { BenchParamError, readBenchParams, repoRoot, runMeta } from './bench-env';
import { ProcessRegistry } from './managed-process';
import { cacheSection } from './cache-throughput';
import { containerSection } from './container-vs-process';
import { crashRecoverySection } from './crash-recovery';
import { hangDetectionSection } from './hang-detection';
import { instructionsSection } from './instructions';
import { recycleCostSection } from './recycle-cost';
import { slowlorisSection } from './slowloris';
import { throughputSection } from './throughput';
import { trackedClientSection } from './tracked-client-rate';
import type { BenchSection, SectionReport } from './section';

/** Every benchmark section, in the order they run. Add new sections here. */
export const SECTIONS: readonly BenchSection[] = [
  throughputSection,
  recycleCostSection,
  trackedClientSection,
  hangDetectionSection,
  crashRecoverySection,
  cacheSection,
  slowlorisSection,
  containerSection,
  instructionsSection,
];

function usage(): string {
  return [
    'usage: node dist/harness/bench/run-bench.js [SECTION...]',
    '',
    'sections:',
    ...SECTIONS.map((s) => `  ${s.name.padEnd(16)} ${s.description}${s.optIn ? ' (only when named)' : ''}`),
    '',
    'environment: BENCH_DURATION_S (10), BENCH_WARMUP_S (2; 1 when the duration is under 5 s),',
    '             BENCH_CONNECTIONS (100: throughput, cache), BENCH_RECYCLES (20),',
    '             BENCH_REPEATS (10: hangs, crashes and bare cold starts), BENCH_ROUNDS (2: alternating',
    '             rounds of the tracked-client and cache comparisons; attack runs of slowloris),',
    '             BENCH_OUT (w3lab-results/bench),',
    '             BENCH_W3_BIN (bin/w3lab.js: the launcher that starts w3),',
    '             BENCH_TARGETS (bare,haproxy,nginx,w3-1,w3-2,w3-2p) and BENCH_CLIENTS (wrk,autocannon): what the',
    '             throughput section measures (instructions: the same, bare/haproxy/w3-1/w3-2 only),',
    '             BENCH_INSTR_REQUESTS (10000) and BENCH_INSTR_PRIME (50000): measured and priming requests of',
    '             the instructions section',
  ].join('\n');
}

export async function runBench(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const unknown = argv.filter((a) => !SECTIONS.some((s) => s.name === a));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown section(s): ${unknown.join(', ')}\n\n${usage()}\n`);
    return 254;
  }
  const root = repoRoot();
  let params;
  try {
    params = readBenchParams(env, root);
  } catch (err) {
    if (err instanceof BenchParamError) {
      process.stderr.write(`bench: ${err.message}\n`);
      return 254;
    }
    throw err;
  }
  const outDir = path.resolve(root, env['BENCH_OUT'] ?? path.join('w3lab-results', 'bench'));
  const selected = argv.length === 0 ? SECTIONS.filter((s) => !s.optIn) : SECTIONS.filter((s) => argv.includes(s.name));
  const progress = (msg: string): void => {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  };

  // An interrupted run skips every `finally`: kill what was started, then leave.
  const processes = new ProcessRegistry();
  const onSignal = (signal: NodeJS.Signals): void => {
    progress(`${signal}: killing ${processes.size()} started process(es)`);
    void processes.killAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let code = 0;
  const reports: { name: string; report?: SectionReport; error?: string }[] = [];
  for (const section of selected) {
    progress(`section ${section.name}: ${section.description}`);
    try {
      const report = await section.run({
        params,
        meta: () => runMeta(params, root),
        outDir,
        repoRoot: root,
        processes,
        progress,
      });
      reports.push({ name: section.name, report });
      if (report.problems.length > 0) code = Math.max(code, 1);
    } catch (err) {
      const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
      reports.push({ name: section.name, error: msg });
      code = 255;
    }
  }

  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  if (processes.size() > 0) {
    progress(`${processes.size()} process(es) still running after the sections; killing them`);
    await processes.killAll();
  }

  const out: string[] = [];
  for (const r of reports) {
    out.push('', `== ${r.name} ==`);
    if (r.error) {
      out.push(`section crashed: ${r.error}`);
      continue;
    }
    out.push(...r.report!.lines);
    for (const p of r.report!.problems) out.push(`PROBLEM: ${p}`);
    out.push(`written: ${r.report!.files.map((f) => path.relative(root, f)).join(', ')}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return code;
}

if (require.main === module) {
  runBench(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 255;
    },
  );
}
