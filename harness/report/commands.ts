// The results commands of the `w3lab` CLI: `report RUN_DIR`, `compare BASELINE RUN` and `baseline save NAME`.
// Thin wrappers over exported functions; a non-zero exit is an error with an `exitCode` (main.ts is the only
// caller of process.exit). `quiet` errors have already printed what the user needs.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { compare, renderCompareMarkdown, writeCompare } from './compare';
import { METRIC_KEYS } from './compare-metrics';
import { saveBaseline } from './baseline';
import { renderRerun, rerunReport, writeRunReports } from './report-command';

export { writeRunReports };

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const exitWith = (code: number, message: string): Error =>
  Object.assign(new Error(message), { exitCode: code, quiet: true });

export function registerReportCommands(program: Command): void {
  program
    .command('report <runDir>')
    .description('re-run the checkers of a stored run and rewrite results.json, summary.md, report.html and junit.xml')
    .action((runDir: string) => {
      const r = rerunReport(runDir);
      process.stdout.write(renderRerun(r) + '\n');
      if (r.exitCode !== 0)
        throw exitWith(r.exitCode, r.exitCode === 1 ? 'a check failed' : 'some checks could not decide (unknown)');
    });

  program
    .command('compare <baseline> <run>')
    .description(
      'regression report on recycle behaviour (run folders, results folders — w3lab matrix runs left out — ' +
        'matrix target folders, or a saved baseline name); ' +
        'exit 1 when a threshold is crossed',
    )
    .option(
      '-T, --threshold <key=value>',
      'override a threshold (repeatable): KEY=+N | KEY=+N% | KEY=-N% | KEY=off | KEY.floor=N; ' +
        `keys: ${METRIC_KEYS.join(', ')}`,
      collect,
      [],
    )
    .option('-s, --scenario <name>', 'compare only this scenario (repeatable)', collect, [])
    .option('-o, --out <dir>', 'where compare.md and compare.json go (default: the RUN folder)')
    .option('--baselines <dir>', 'saved baselines folder (default: ./w3lab-baselines)')
    .action(
      (
        baseline: string,
        run: string,
        o: { threshold: string[]; scenario: string[]; out?: string; baselines?: string },
      ) => {
        const report = compare(baseline, run, {
          thresholds: o.threshold,
          scenarios: o.scenario,
          ...(o.baselines ? { baselinesDir: path.resolve(o.baselines) } : {}),
        });
        const md = renderCompareMarkdown(report);
        const outDir = o.out ?? (fs.existsSync(path.resolve(run)) ? run : process.cwd());
        const files = writeCompare(report, path.resolve(outDir));
        process.stdout.write(`${md}\nwrote ${files.md} and ${files.json}\n`);
        for (const w of report.warnings) process.stderr.write(`w3lab warning: ${w}\n`);
        if (report.exitCode !== 0)
          throw exitWith(report.exitCode, `${report.crossed.length} regression threshold(s) crossed`);
      },
    );

  const baseline = program.command('baseline').description('saved baselines for `compare` (./w3lab-baselines/NAME)');
  baseline
    .command('save <name> [source]')
    .description(
      'copy a run folder, or the newest run of each scenario in a results folder (default: ./w3lab-results; ' +
        'w3lab matrix runs are left out: name a matrix target folder, e.g. w3lab-results/matrix/latest/w3, ' +
        'to save those), to ./w3lab-baselines/NAME; runs that did not pass are refused unless --force',
    )
    .option('--baselines <dir>', 'saved baselines folder (default: ./w3lab-baselines)')
    .option('-f, --force', 'save runs that failed or could not decide too')
    .action((name: string, source: string | undefined, o: { baselines?: string; force?: boolean }) => {
      const saved = saveBaseline(name, source, o.baselines ? path.resolve(o.baselines) : undefined, {
        force: o.force === true,
      });
      const lines = saved.scenarios.map((s) => `  ${s.scenario}  ← ${s.from}`);
      process.stdout.write(`saved baseline ${name} in ${saved.dir}:\n${lines.join('\n')}\n`);
    });
}
