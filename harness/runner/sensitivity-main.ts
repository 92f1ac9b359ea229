// `npm run sensitivity [SCENARIO...]`: runs the sensitivity table (sensitivity.ts) into
// w3lab-results/sensitivity/<time> and prints its markdown with the date, the machine and the command, as the README
// carries it. Exit 1 when a row was not what it should be.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { DEFAULT_RESULTS_DIR } from '../results/store';
import { ScenarioError } from '../scenarios/load-scenario';
import { assertBundled, renderSensitivityMarkdown, runSensitivity } from './sensitivity';

/**
 * Runs the table for `only` (every bundled scenario when empty) into a new folder under `<resultsDir>/sensitivity`,
 * writes its markdown there as sensitivity.md and through `write`; resolves to the exit code (0: every row as
 * expected, else 1).
 */
export async function sensitivityMain(
  only: readonly string[],
  resultsDir: string,
  write: (text: string) => void,
): Promise<number> {
  assertBundled(only); // before the results folder is made
  const outDir = path.join(resultsDir, 'sensitivity', new Date().toISOString().replace(/[:.]/g, '-'));
  fs.mkdirSync(outDir, { recursive: true });
  const log = pino(pino.destination({ dest: path.join(outDir, 'lab.log'), sync: true }));
  const began = Date.now();
  const loadBefore = os.loadavg()[0]!.toFixed(1);
  const rows = await runSensitivity({ outDir, log, ...(only.length ? { only } : {}) });
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const gib = Math.round(os.totalmem() / 2 ** 30);
  const loadAfter = os.loadavg()[0]!.toFixed(1);
  const command = `npm run sensitivity${only.length ? ` ${only.join(' ')}` : ''}`;
  const seconds = Math.round((Date.now() - began) / 1000);
  const md = [
    `Measured ${new Date().toISOString().slice(0, 16)} UTC on ${os.hostname()} ` +
      `(${os.cpus().length} × ${cpu}, ${gib} GiB; ` +
      `1-min load ${loadBefore} before, ${loadAfter} after), \`${command}\`, ${seconds} s; ` +
      `${rows.filter((r) => r.ok).length} of ${rows.length} rows as expected:`,
    '',
    renderSensitivityMarkdown(rows),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'sensitivity.md'), md);
  write(md + `\nruns: ${outDir}\n`);
  return rows.every((r) => r.ok) ? 0 : 1;
}

/** Where the script writes: a stand-in for `process` (its arguments, output streams and exit code). */
export interface ScriptProcess {
  readonly argv: readonly string[];
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  exitCode?: number | string | undefined;
}

/**
 * The script: the scenarios named after the script's path in `proc.argv`, the table on `proc.stdout`, the exit code
 * in `proc.exitCode`: that of sensitivityMain; 254 with the message on `proc.stderr` for a name that is no bundled
 * scenario; 255 with the stack for any other error. Never exits.
 */
export async function sensitivityScript(proc: ScriptProcess, resultsDir: string): Promise<void> {
  try {
    proc.exitCode = await sensitivityMain(proc.argv.slice(2), resultsDir, (text) => proc.stdout.write(text));
  } catch (err) {
    const bad = err instanceof ScenarioError;
    proc.stderr.write(`sensitivity: ${bad ? err.message : ((err as Error).stack ?? String(err))}\n`);
    proc.exitCode = bad ? err.exitCode : 255;
  }
}

// Started as a script (`node dist/harness/runner/sensitivity-main.js`), not imported by a test.
if (require.main === module) void sensitivityScript(process, DEFAULT_RESULTS_DIR());
