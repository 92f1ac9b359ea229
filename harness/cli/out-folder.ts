// The results folder a command's --out names (default ./w3lab-results), checked before anything is started or
// written: a file where the folder (or one of its parents) should be is the user's mistake (exit 254, naming it),
// not an internal error from mkdir or readdir. A folder that does not exist yet is fine: runs create it.
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from '../../targets/w3/cli/commands';
import { DEFAULT_RESULTS_DIR } from '../results/store';

export function resultsFolder(out: string | undefined): string {
  const dir = path.resolve(out ?? DEFAULT_RESULTS_DIR());
  for (let d = dir; ; d = path.dirname(d)) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(d);
    } catch {
      /* not there (yet): look at its parent */
    }
    if (stat && !stat.isDirectory()) throw new CliError(`--out ${dir}: ${d} is a file, not a folder`, 254);
    if (stat || path.dirname(d) === d) return dir;
  }
}
