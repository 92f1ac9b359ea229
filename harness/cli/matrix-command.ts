// `w3lab matrix [SCENARIO...] --targets a,b,c [--repeat N]`: every scenario against every target (process runtime),
// one after the other, into one matrix folder (harness/results/matrix-folder.ts): <out>/matrix/<UTC time>/ with
// matrix.json / matrix.md / matrix.html (harness/results/matrix.ts), lab.log and the runs in <target>/<scenario>/;
// then the table on the console. Exit code as for `run`, over every run (run-outcome.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../../targets/w3/cli/commands';
import { createLogger } from '../../targets/w3/util/logger';
import { resultsFolder } from './out-folder';
import { matrixRun, renderMatrixMarkdown, type Matrix, type MatrixCell } from '../results/matrix';
import { MatrixFolder } from '../results/matrix-folder';
import { notRunOf } from '../results/matrix-status';
import { runOwner } from '../results/run-status';
import { exitCodeOfOutcomes } from '../runner/run-outcome';
import { runScenario } from '../runner/run-scenario';
import { loadScenario, resolveScenarioFiles } from '../scenarios/load-scenario';
import { targetNames } from '../targets/registry';
import { preflight } from '../runner/preflight';

interface MatrixOptions {
  targets?: string;
  repeat?: string;
  seed?: string;
  out?: string;
}

interface MatrixPlan {
  scenarios: { file: string; scenario: ReturnType<typeof loadScenario> }[];
  targets: string[];
  repeat: number;
  seed: number | undefined;
  /** The results folder (checked: no file in the way). */
  out: string;
}

export async function matrixCommand(args: string[], o: MatrixOptions): Promise<number> {
  const plan = planMatrix(args, o);
  const began = Date.now();
  const matrix: Matrix = {
    command: [
      'w3lab matrix',
      ...args,
      '--targets',
      plan.targets.join(','),
      ...(plan.repeat > 1 ? ['--repeat', String(plan.repeat)] : []),
    ].join(' '),
    status: 'running',
    owner: runOwner(),
    repeat: plan.repeat,
    startedAt: new Date(began).toISOString(),
    durationMs: 0,
    machine: machineLine(),
    scenarios: plan.scenarios.map((s) => s.scenario.name),
    targets: plan.targets,
    cells: [],
  };
  const folder = new MatrixFolder(plan.out, matrix);
  const log = createLogger({ level: 'info', name: 'w3lab', fd: fs.openSync(path.join(folder.dir, 'lab.log'), 'a') });
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('\nw3lab matrix: interrupted — finishing the current run and writing what was measured\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const saved = (): void => folder.save({ ...matrix, durationMs: Date.now() - began });
  let ended = false;
  try {
    await runCells(plan, { folder, log, signal: abort.signal, cells: matrix.cells, saved });
    ended = !abort.signal.aborted;
  } catch (err) {
    matrix.error = (err as Error).message;
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    // Finished only when every run was made; otherwise the file says which cells never ran.
    matrix.status = ended ? 'finished' : matrix.error !== undefined ? 'error' : 'interrupted';
    if (!ended) matrix.notRun = notRunOf(matrix);
    saved();
  }
  const done = { ...matrix, durationMs: Date.now() - began };
  process.stdout.write(renderMatrixMarkdown(done) + `\nmatrix: ${folder.dir}/matrix.{json,md,html}\n`);
  if (abort.signal.aborted) return 2;
  return exitCodeOfOutcomes(matrix.cells.flatMap((c) => c.runs.map((r) => r.outcome)));
}

/** The options checked and the scenarios loaded and preflighted against every target, before anything runs. */
function planMatrix(args: string[], o: MatrixOptions): MatrixPlan {
  const known = targetNames();
  const targets = (o.targets ?? known.join(','))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = targets.filter((t) => !known.includes(t));
  if (targets.length === 0) throw new CliError(`--targets: no target given; known: ${known.join(', ')}`, 254);
  if (unknown.length)
    throw new CliError(`--targets: unknown target(s) ${unknown.join(', ')}; known: ${known.join(', ')}`, 254);
  // A column twice would be two cells of one name, the second never shown.
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice !== undefined) throw new CliError(`--targets: ${twice} named twice`, 254);
  const repeat = o.repeat === undefined ? 1 : Number(o.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20)
    throw new CliError(`--repeat must be an integer 1..20, not "${o.repeat}"`, 254);
  const seed = o.seed === undefined ? undefined : Number(o.seed);
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0))
    throw new CliError(`--seed must be a non-negative integer, not "${o.seed}"`, 254);
  const scenarios = resolveScenarioFiles(args).map((f) => ({ file: f, scenario: loadScenario(f) }));
  const names = scenarios.map((s) => s.scenario.name);
  const again = scenarios.find((s, i) => names.indexOf(s.scenario.name) !== i);
  if (again) {
    const files = scenarios.filter((s) => s.scenario.name === again.scenario.name).map((s) => s.file);
    throw new CliError(
      `scenario ${again.scenario.name} named twice (${[...new Set(files)].join(', ')}): ` +
        'a matrix has one row per scenario; --repeat N runs each cell N times',
      254,
    );
  }
  for (const { file, scenario } of scenarios) for (const target of targets) preflight(scenario, file, target);
  return { scenarios, targets, repeat, seed, out: resultsFolder(o.out) };
}

/** Every scenario × target × repeat, one after the other, each run into its target's folder of the matrix; the
 *  matrix files are saved after every run. An abort finishes the current run and starts no other. */
async function runCells(
  plan: MatrixPlan,
  ctx: {
    folder: MatrixFolder;
    log: ReturnType<typeof createLogger>;
    signal: AbortSignal;
    cells: MatrixCell[];
    saved: () => void;
  },
): Promise<void> {
  const { scenarios, targets, repeat, seed } = plan;
  const total = scenarios.length * targets.length * repeat;
  let n = 0;
  for (const { file, scenario } of scenarios) {
    for (const target of targets) {
      if (ctx.signal.aborted) return;
      const cell: MatrixCell = { scenario: scenario.name, target, runs: [] };
      ctx.cells.push(cell);
      const outDir = ctx.folder.targetDir(target);
      for (let i = 0; i < repeat && !ctx.signal.aborted; i++) {
        process.stderr.write(`[${++n}/${total}] ${scenario.name} × ${target}${repeat > 1 ? ` (#${i + 1})` : ''}\n`);
        const { log, signal } = ctx;
        const r = await runScenario({
          scenario,
          scenarioFile: file,
          target,
          runtime: 'process',
          seed,
          outDir,
          log,
          signal,
        });
        cell.runs.push(matrixRun(r));
        ctx.saved();
      }
    }
  }
}

/** The machine the matrix ran on, for the reader comparing two matrices. */
function machineLine(): string {
  const cpus = os.cpus();
  const gib = Math.round(os.totalmem() / 2 ** 30);
  const cpu = `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}`;
  return `${os.type()} ${os.release()}, ${cpu}, ${gib} GiB, node ${process.version}`;
}

export function registerMatrixCommand(program: Command): void {
  program
    .command('matrix [scenario...]')
    .description('run scenarios (default: the core suite) against several targets and write the comparison matrix')
    .option('--targets <list>', `comma-separated targets (default: all: ${targetNames().join(',')})`)
    .option('--repeat <n>', 'runs per cell (the matrix shows the spread)', '1')
    .option('-s, --seed <n>', "random seed for every run (default: each scenario's, else random; recorded)")
    .option('-o, --out <dir>', 'results folder (default ./w3lab-results); the matrix goes to <out>/matrix/<time>/')
    .action(async (args: string[], o: MatrixOptions) => {
      const code = await matrixCommand(args, o);
      if (code !== 0) throw Object.assign(new Error(`matrix exit ${code}`), { exitCode: code, quiet: true });
    });
}
