// Reading scenario files: YAML → validated Scenario, with errors that name the file, the path and the reason
// (LAB_ERR_SCENARIO, exit code 254). Checker names and options are validated here too, before anything starts.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { scenarioSchema, type Scenario } from './schema';
import { validateCheckSpecs } from '../checkers';
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
  try {
    validateCheckSpecs(r.data.expect.map((e) => ({ name: e.check, options: e.options })));
  } catch (err) {
    throw new ScenarioError(`invalid scenario ${source}: ${(err as Error).message}`, { cause: err });
  }
  return r.data;
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
