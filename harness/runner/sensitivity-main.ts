// `npm run sensitivity [SCENARIO...]`: runs the sensitivity table (sensitivity.ts) into
// w3lab-results/sensitivity/<time> and prints its markdown with the date, the machine and the command, as the README
// carries it. Exit 1 when a row was not what it should be.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { DEFAULT_RESULTS_DIR } from '../results/store';
import { renderSensitivityMarkdown, runSensitivity } from './sensitivity';

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
  const outDir = path.join(resultsDir, 'sensitivity', new Date().toISOString().replace(/[:.]/g, '-'));
  fs.mkdirSync(outDir, { recursive: true });
  const log = pino({ level: 'info' }, pino.destination({ dest: path.join(outDir, 'lab.log'), sync: true }));
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

// The script entry (`node dist/harness/runner/sensitivity-main.js`); a test imports the module without running it.
if (require.main === module) {
  sensitivityMain(process.argv.slice(2), DEFAULT_RESULTS_DIR(), (text) => process.stdout.write(text)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`sensitivity: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 255;
    },
  );
}
