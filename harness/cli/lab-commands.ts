// The lab's commands: `run` (scenarios → verdicts, exit 0/1/2/3), `merge` (shards' suites into one), `list`
// (bundled scenarios and past runs) and `clean` (what interrupted runs left behind, scoped to a results folder or a
// run). `run` validates every scenario before starting any.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadScenario, resolveScenarioFiles, listScenarioFiles } from '../scenarios/load-scenario';
import { resultsFolder } from './out-folder';
import { listRuns } from '../results/run-list';
import { matricesOf, readMatrix } from '../results/matrix-folder';
import { CliError } from '../../targets/w3/cli/commands';
import { renderRunTable, renderSuiteFooter, renderSuiteRunsTable } from './run-table';
import { mergeSuites } from '../suite/merge';
import { createLabLog, type LabLog } from './lab-log';
import { runSuite } from '../suite/run-suite';
import { parseShard, shardLabel } from '../suite/shard';
import { targetNames } from '../targets/registry';
import { requirePackage } from '../optional-package';
import { preflight } from '../runner/preflight';
import { outcomeOf } from '../runner/run-outcome';
import type { RunResult } from '../runner/run-scenario';

interface RunCliOptions {
  target?: string;
  runtime?: string;
  seed?: string;
  out?: string;
  logLevel?: string;
  shard?: string;
}

export async function runCommand(args: string[], opts: RunCliOptions): Promise<number> {
  const runtime = opts.runtime ?? 'process';
  if (runtime !== 'process' && runtime !== 'container')
    throw new CliError(`--runtime must be process or container, not "${runtime}"`, 254);
  let seed: number | undefined;
  if (opts.seed !== undefined) {
    seed = Number(opts.seed);
    if (!Number.isInteger(seed) || seed < 0)
      throw new CliError(`--seed must be a non-negative integer, not "${opts.seed}"`, 254);
  }
  const files = resolveScenarioFiles(args);
  const scenarios = files.map((f) => ({ file: f, scenario: loadScenario(f) })); // all validated before any runs
  for (const { file, scenario } of scenarios) {
    const name = opts.target ?? scenario.target;
    if (!targetNames().includes(name)) {
      const where = opts.target !== undefined ? '--target' : `${file}: target`;
      throw new CliError(`${where}: unknown target "${name}" (known: ${targetNames().join(', ')})`, 254);
    }
    preflight(scenario, file, name); // PreflightError: exit 254, every problem listed, nothing started
  }
  if (runtime === 'container') {
    // Once, before any scenario: a machine where Docker cannot run fails here with the reason, not once per run.
    const { requireDocker } = await import('../runtimes/docker-env');
    requirePackage('testcontainers', '--runtime container');
    try {
      requireDocker();
    } catch (err) {
      throw new CliError(`--runtime container: ${(err as Error).message}`, 254);
    }
  }
  const shard = opts.shard !== undefined ? parseShard(opts.shard) : undefined;
  const outDir = resultsFolder(opts.out);
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(
        '\nw3lab: interrupted — stopping the run and keeping what was recorded (Ctrl-C again to kill now)\n',
      );
      abort.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const { clearLine, progress, onRun } = consoleProgress();
  // The harness log goes to lab.log in the suite folder; the terminal shows progress, warnings and the table.
  let lab: LabLog | null = null;
  let suite;
  try {
    suite = await runSuite(scenarios, {
      out: outDir,
      target: opts.target,
      runtime,
      seed,
      shard,
      log: (dir) => (lab = createLabLog(path.join(dir, 'lab.log'), opts.logLevel ?? 'info', clearLine)).log,
      signal: abort.signal,
      onProgress: progress,
      onRun,
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    clearLine();
    (lab as LabLog | null)?.close();
  }
  if (shard && suite.selected.length === 0) {
    process.stdout.write(
      `shard ${shardLabel(shard)}: no scenario falls in this shard ` +
        `(${scenarios.length} scenario(s) in ${shard.total} shards)\n`,
    );
  }
  process.stdout.write(renderRunTable(suite.results) + '\n' + renderSuiteFooter(suite) + '\n');
  return suite.exitCode;
}

/**
 * Progress of `w3lab run`: a terminal gets one line rewritten in place; a pipe or a CI log gets each step and each
 * scenario's verdict as a line on stderr (stdout keeps only the table), so a job that runs for minutes shows where it
 * is.
 */
function consoleProgress(): { clearLine: () => void; progress: (msg: string) => void; onRun: (r: RunResult) => void } {
  const tty = process.stdout.isTTY === true;
  const progress = (msg: string): void => {
    if (tty) process.stdout.write(`\r\x1b[2K${msg.slice(0, (process.stdout.columns ?? 100) - 1)}`);
    else process.stderr.write(`w3lab ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
  };
  return {
    clearLine: () => {
      if (tty) process.stdout.write('\r\x1b[2K');
    },
    progress,
    onRun: (r) => {
      if (!tty) progress(`${r.scenario}: ${outcomeOf(r).toUpperCase()} (${(r.durationMs / 1000).toFixed(1)} s)`);
    },
  };
}

const RUN_EXIT_MESSAGES: Record<number, string> = {
  1: 'a check failed',
  2: 'some checks could not decide (unknown)',
  3: 'no scenario was supported by the target (nothing was tested)',
};

export function registerLabCommands(program: Command): void {
  program
    .command('run [scenario...]')
    .description('run scenarios (files or bundled names; none = the core suite against w3)')
    .option('-t, --target <name>', `target system: ${targetNames().join(' | ')} (default: the scenario's)`)
    .option('-r, --runtime <kind>', 'process | container', 'process')
    .option('-s, --seed <n>', "random seed (default: the scenario's, else random; always recorded)")
    .option('-o, --out <dir>', 'results folder', undefined)
    .option('--shard <i/n>', 'run only shard i of n (deterministic split by scenario name; combine with `w3lab merge`)')
    .option('--log-level <level>', 'harness log level (lab.log in the suite folder)')
    .action(async (args: string[], o: RunCliOptions) => {
      const code = await runCommand(args, o);
      if (code !== 0)
        throw Object.assign(new Error(RUN_EXIT_MESSAGES[code] ?? `exit ${code}`), { exitCode: code, quiet: true });
    });
  program
    .command('merge <dir...>')
    .description(
      'one suite (index.html, junit.xml, summary.md) from the suites of several jobs, ' +
        'e.g. the shards of `run --shard i/n`',
    )
    .option('-o, --out <dir>', 'results folder for the merged suite (default ./w3lab-results)')
    .action((dirs: string[], o: { out?: string }) => {
      const merged = mergeSuites(dirs, resultsFolder(o.out));
      const from = merged.info.mergedFrom ?? [];
      const shards = from.some((f) => f.shard)
        ? ` (shards ${from.map((f) => (f.shard ? `${f.shard.index}/${f.shard.total}` : '?')).join(', ')})`
        : '';
      const table = renderSuiteRunsTable(merged.info.runs);
      process.stdout.write(`merged ${from.length} suite(s)${shards}\n\n${table}\n${renderSuiteFooter(merged)}\n`);
      const code = merged.exitCode;
      if (code !== 0)
        throw Object.assign(new Error(RUN_EXIT_MESSAGES[code] ?? `exit ${code}`), { exitCode: code, quiet: true });
    });
  program
    .command('list')
    .description('list the bundled scenarios and recent runs')
    .option('-o, --out <dir>', 'results folder')
    .action(listCommand);
  program
    .command('clean')
    .description(
      'remove what interrupted runs in a results folder left behind ' +
        '(target processes, containers and temp socket folders whose harness is gone); ' +
        'running runs, other users and anything without the run marks are left alone',
    )
    .option('-o, --out <dir>', 'the results folder to clean (default ./w3lab-results)')
    .option('--run <runOrFolder>', 'only one run: its run id, or its run (or suite) folder')
    .option('-n, --dry-run', 'say what would be killed or removed, touch nothing')
    .action(async (o: { out?: string; run?: string; dryRun?: boolean }) => {
      const { cleanLeftovers } = await import('./clean');
      let scope: { dir?: string; runId?: string } = { dir: resultsFolder(o.out) };
      if (o.run !== undefined) scope = fs.existsSync(o.run) ? { dir: path.resolve(o.run) } : { runId: o.run };
      const report = await cleanLeftovers({ scope, dryRun: o.dryRun === true });
      process.stdout.write(report.lines.join('\n') + '\n');
    });
}

/** `w3lab list`: the bundled scenarios, the newest runs outside matrices, and one line per matrix. */
function listCommand(o: { out?: string }): void {
  const lines = ['Bundled scenarios:'];
  for (const f of listScenarioFiles()) {
    const sc = loadScenario(f);
    lines.push(`  ${sc.name.padEnd(22)} ${sc.description.split('\n')[0]}`);
  }
  const results = resultsFolder(o.out);
  // A matrix's runs are the peers' runs: one line per matrix, so they do not crowd out the suites' runs.
  const runs = listRuns(results)
    .filter((r) => !r.matrix)
    .slice(0, 20);
  lines.push('', runs.length ? 'Recent runs:' : 'No runs yet.');
  for (const r of runs) {
    const cols = [
      String(r.info.startedAt ?? '?').padEnd(26),
      String(r.info.scenario ?? '?').padEnd(22),
      String(r.info.target ?? '').padEnd(13),
      verdictWord(r.verdict).padEnd(8),
      r.dir,
    ];
    lines.push(`  ${cols.join(' ')}`);
  }
  const matrices = matricesOf(results).reverse().slice(0, 10);
  if (matrices.length) lines.push('', 'Recent matrices (w3lab matrix: each folder holds matrix.html and its runs):');
  for (const dir of matrices) lines.push(`  ${matrixLine(dir)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

/** "<startedAt> <status> <scenarios> × <targets> <n> runs: 3 pass, 5 fail <dir>" */
function matrixLine(dir: string): string {
  const m = readMatrix(dir);
  if (!m) return `?${' '.repeat(26)}${dir} (matrix.json unreadable)`;
  const runs = (m.cells ?? []).flatMap((c) => c.runs ?? []);
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const tally = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  const shape = `${m.scenarios?.length ?? '?'} scenario(s) × ${m.targets?.join(',') ?? '?'}`;
  // readMatrix settled it: a matrix SIGKILLed mid-way says killed.
  const status = m.status ?? 'finished';
  const cols = [String(m.startedAt ?? '?').padEnd(26), status.padEnd(11), shape];
  return `${cols.join(' ')}: ${runs.length} run(s)${tally ? ` (${tally})` : ''} ${dir}`;
}

function verdictWord(v: unknown): string {
  return v === true ? 'PASS' : v === false ? 'FAIL' : v === 'unknown' ? 'UNKNOWN' : '-';
}
