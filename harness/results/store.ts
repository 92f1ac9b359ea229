// The results store (Jepsen-style): results/<scenario>/<UTC time>/ with run.json written first, then
// history.jsonl and events.jsonl as the run goes, results.json and summary.md at the end; `latest` links at the
// scenario level and at the top. A crash or Ctrl-C still leaves run.json and the partial history.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../../targets/w3/util/compiled-path';

export const DEFAULT_RESULTS_DIR = (): string => path.join(repoRoot(), 'results');

export interface RunInfo {
  runId: string;
  scenario: string;
  target: string;
  runtime: string;
  seed: number;
  startedAt: string;
  status: 'running' | 'finished' | 'interrupted' | 'error';
  versions: { node: string; w3lab: string; git: string | null };
  scenarioFile: string;
  scenarioConfig: unknown;
  [k: string]: unknown;
}

export function gitSha(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repoRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export class RunFolder {
  readonly dir: string;
  readonly runId: string;

  constructor(
    readonly root: string,
    readonly scenario: string,
    started = new Date(),
  ) {
    let dir = path.join(root, scenario, stamp(started));
    // Two runs in the same second (a suite run twice quickly) get distinct folders.
    for (let i = 2; fs.existsSync(dir); i++) dir = path.join(root, scenario, `${stamp(started)}-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    this.dir = dir;
    this.runId = `${scenario}-${path.basename(dir)}`;
    this.link(path.join(root, scenario, 'latest'), dir);
    this.link(path.join(root, 'latest'), dir);
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  writeJson(name: string, value: unknown): void {
    const tmp = this.file(`.${name}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
    fs.renameSync(tmp, this.file(name));
  }

  writeText(name: string, text: string): void {
    fs.writeFileSync(this.file(name), text);
  }

  private link(at: string, to: string): void {
    try {
      fs.rmSync(at, { force: true });
      fs.symlinkSync(path.relative(path.dirname(at), to), at);
    } catch {
      /* links are a convenience; a filesystem without symlinks still has the run */
    }
  }
}

/** Past runs: results/<scenario>/<time>/run.json, newest first. */
export function listRuns(root: string): { dir: string; info: Partial<RunInfo>; verdict?: unknown }[] {
  if (!fs.existsSync(root)) return [];
  const out: { dir: string; info: Partial<RunInfo>; verdict?: unknown }[] = [];
  for (const scenario of fs.readdirSync(root)) {
    const sdir = path.join(root, scenario);
    if (scenario === 'latest' || scenario === 'bench' || scenario === 'baselines' || !fs.statSync(sdir).isDirectory()) continue;
    for (const run of fs.readdirSync(sdir)) {
      const runJson = path.join(sdir, run, 'run.json');
      if (run === 'latest' || !fs.existsSync(runJson)) continue;
      try {
        const info = JSON.parse(fs.readFileSync(runJson, 'utf8')) as Partial<RunInfo>;
        const resultsFile = path.join(sdir, run, 'results.json');
        const verdict = fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { valid?: unknown }).valid : undefined;
        out.push({ dir: path.join(sdir, run), info, verdict });
      } catch {
        out.push({ dir: path.join(sdir, run), info: {} });
      }
    }
  }
  return out.sort((a, b) => String(b.info.startedAt ?? '').localeCompare(String(a.info.startedAt ?? '')));
}
