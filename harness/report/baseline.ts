// `w3lab baseline save NAME [RUN_OR_RESULTS_DIR]`: copies run folders to results/baselines/NAME/<scenario>/ so
// `w3lab compare NAME RUN` and CI can compare against them later (results/baselines/ is committed). The newest run
// of each scenario is taken from a results folder; derived, large files (report.html, report.png) are left out —
// `w3lab report` can re-render them from what is kept. A baseline.json records where and when it came from.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_RESULTS_DIR } from '../results/store';
import { defaultBaselinesDir, resolveSide } from './compare';
import { RunFolderError } from './run-files';

const SKIP = new Set(['report.html', 'report.png']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface SavedBaseline {
  dir: string;
  scenarios: { scenario: string; from: string }[];
}

function copyRun(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.startsWith('.')) continue;
    const src = path.join(from, e.name);
    if (e.isDirectory()) copyRun(src, path.join(to, e.name));
    else if (e.isFile()) fs.copyFileSync(src, path.join(to, e.name));
  }
}

export function saveBaseline(name: string, source = DEFAULT_RESULTS_DIR(), baselinesDir = defaultBaselinesDir()): SavedBaseline {
  if (!NAME.test(name)) throw new RunFolderError(`baseline name "${name}": use letters, digits, ".", "_" and "-"`);
  const runs = resolveSide(source, baselinesDir);
  const dir = path.join(baselinesDir, name);
  fs.mkdirSync(dir, { recursive: true });
  const scenarios = [...runs].sort(([a], [b]) => a.localeCompare(b)).map(([scenario, from]) => {
    if (!NAME.test(scenario)) throw new RunFolderError(`${from}: scenario name "${scenario}" cannot be a folder name`);
    if (path.resolve(from) !== path.resolve(dir, scenario)) copyRun(from, path.join(dir, scenario));
    return { scenario, from: path.resolve(from) };
  });
  fs.writeFileSync(path.join(dir, 'baseline.json'), JSON.stringify({ name, savedAt: new Date().toISOString(), source: path.resolve(source), scenarios }, null, 2) + '\n');
  return { dir, scenarios };
}
