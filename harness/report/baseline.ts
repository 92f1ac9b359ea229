// `w3lab baseline save NAME [RUN_OR_RESULTS_DIR]`: copies run folders to ./w3lab-baselines/NAME/<scenario>/ so
// `w3lab compare NAME RUN` and CI can compare against them later (commit that folder). The newest run of each
// scenario is taken from a results folder; the derived report.html is left out (`w3lab report` re-renders it from
// what is kept). A baseline.json records where and when it came from. A run that failed or could not decide is a
// poor reference — a later run that is just as broken would compare as "no regression" — so such runs are refused
// unless forced.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_RESULTS_DIR } from '../results/store';
import { defaultBaselinesDir, resolveSide } from './compare';
import { RunFolderError } from './run-files';

const SKIP = new Set(['report.html']);
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

export function saveBaseline(
  name: string,
  source = DEFAULT_RESULTS_DIR(),
  baselinesDir = defaultBaselinesDir(),
  o: { force?: boolean } = {},
): SavedBaseline {
  if (!NAME.test(name)) throw new RunFolderError(`baseline name "${name}": use letters, digits, ".", "_" and "-"`);
  const runs = resolveSide(source, baselinesDir);
  if (!o.force) {
    const bad = [...runs]
      .map(([scenario, dir]) => ({ scenario, valid: verdictOf(dir) }))
      .filter((r) => r.valid !== true);
    if (bad.length) {
      const list = bad
        .map((b) => `${b.scenario} (${b.valid === false ? 'FAIL' : b.valid === 'unknown' ? 'UNKNOWN' : 'no verdict'})`)
        .join(', ');
      throw new RunFolderError(
        `not saved: ${list} did not pass; a baseline should be a good run (--force saves it anyway)`,
      );
    }
  }
  const dir = path.join(baselinesDir, name);
  fs.mkdirSync(dir, { recursive: true });
  const scenarios = [...runs]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([scenario, from]) => {
      if (!NAME.test(scenario))
        throw new RunFolderError(`${from}: scenario name "${scenario}" cannot be a folder name`);
      if (path.resolve(from) !== path.resolve(dir, scenario)) copyRun(from, path.join(dir, scenario));
      return { scenario, from: path.resolve(from) };
    });
  fs.writeFileSync(
    path.join(dir, 'baseline.json'),
    JSON.stringify({ name, savedAt: new Date().toISOString(), source: path.resolve(source), scenarios }, null, 2) +
      '\n',
  );
  return { dir, scenarios };
}

function verdictOf(runDir: string): unknown {
  try {
    return (JSON.parse(fs.readFileSync(path.join(runDir, 'results.json'), 'utf8')) as { valid?: unknown }).valid;
  } catch {
    return undefined;
  }
}
