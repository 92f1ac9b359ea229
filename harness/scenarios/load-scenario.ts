// Reading scenario files: YAML → validated Scenario, with errors that name the file, the path and the reason
// (LAB_ERR_SCENARIO, exit code 254). Checker names and options are validated here too, before anything starts.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { scenarioSchema, type Scenario } from './schema';
import { checkerNamed, checkerNames } from '../checkers';
import { repoRoot } from '../../targets/w3/util/compiled-path';

export class ScenarioError extends Error {
  readonly code = 'LAB_ERR_SCENARIO';
  readonly exitCode = 254;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const CORE_SUITE_DIR = path.join(repoRoot(), 'harness', 'scenarios');

export function parseScenario(raw: unknown, source: string): Scenario {
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new ScenarioError(`invalid scenario ${source}:\n${lines.join('\n')}`);
  }
  const problems = [...phaseNameProblems(r.data.workload), ...checkProblems(r.data.expect)];
  if (problems.length > 0) throw new ScenarioError(`invalid scenario ${source}:\n${problems.join('\n')}`);
  return r.data;
}

/** Phase names are what checks (`phase:`) and the workload files (workload-NAME.json) refer to: one each. */
function phaseNameProblems(phases: Scenario['workload']): string[] {
  return phases.flatMap((p, i) => {
    const first = phases.findIndex((q) => q.name === p.name);
    return first < i ? [`  workload.${i}.name: phase name "${p.name}" is already used by workload.${first}`] : [];
  });
}

/** Each expectation names a known checker with valid options: every problem, one line each, as the schema's are. */
function checkProblems(expectations: Scenario['expect']): string[] {
  return expectations.flatMap((e, i) => {
    const checker = checkerNamed(e.check);
    if (!checker) return [`  expect.${i}.check: unknown checker "${e.check}" (known: ${checkerNames.join(', ')})`];
    const parsed = checker.optionsSchema.safeParse(e.options ?? {});
    if (parsed.success) return [];
    return parsed.error.issues.map(
      (issue) => `  ${['expect', i, 'options', ...issue.path].map(String).join('.')}: ${issue.message}`,
    );
  });
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(
      `cannot read scenario ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    throw new ScenarioError(`scenario ${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return parseScenario(raw, file);
}

/** The scenario files of the core suite, or the files/names given (a bare name means the bundled scenario). */
export function resolveScenarioFiles(args: string[], dir = CORE_SUITE_DIR): string[] {
  if (args.length === 0) return listScenarioFiles(dir);
  return args.map((a) => {
    if (fs.existsSync(a)) return path.resolve(a);
    const bundled = path.join(dir, a.endsWith('.yaml') ? a : `${a}.yaml`);
    if (fs.existsSync(bundled)) return bundled;
    throw new ScenarioError(
      `no scenario "${a}": not a file, and not a bundled scenario (${listScenarioFiles(dir)
        .map((f) => path.basename(f, '.yaml'))
        .join(', ')})`,
    );
  });
}

export function listScenarioFiles(dir = CORE_SUITE_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(dir, f));
}
