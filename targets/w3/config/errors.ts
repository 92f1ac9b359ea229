// ConfigError (code W3_ERR_CONFIG) and the translation of zod issues into it: dotted paths, one line per issue,
// unknown keys reported at their own path with a "did you mean" when a known key is close.
import type { z } from 'zod';
import { keysAt } from './schema-walk';

export interface ConfigIssue {
  /** Dotted path into the file, e.g. "pools.0.processModel.pingInterval"; "" for the file as a whole. */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly code = 'W3_ERR_CONFIG' as const;

  constructor(
    /** Absolute path of the config file, or null for an in-memory config. */
    readonly file: string | null,
    readonly issues: ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(formatConfigMessage(file, issues), options);
    this.name = 'ConfigError';
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** One issue stays on one line (it ends up in a single log line or CLI error); several get a line each. */
export function formatConfigMessage(file: string | null, issues: readonly ConfigIssue[]): string {
  const head = file === null ? 'invalid config' : `invalid config ${file}`;
  if (issues.length === 1) return `${head}: ${formatIssue(issues[0]!)}`;
  return [`${head} (${issues.length} issues):`, ...issues.map((i) => `  ${formatIssue(i)}`)].join('\n');
}

export function joinPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

/** zod issues -> ConfigIssues. `schema` is used to suggest the intended key for an unknown one. */
export function issuesFromZod(error: z.ZodError, schema: z.ZodType): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, issue.path);
      for (const key of issue.keys) {
        const guess = closest(key, known);
        out.push({
          path: joinPath([...issue.path, key]),
          message: guess ? `unknown key (did you mean "${guess}"?)` : `unknown key (allowed: ${known.join(', ')})`,
        });
      }
    } else {
      out.push({ path: joinPath(issue.path), message: issue.message });
    }
  }
  return out;
}

/** The known key nearest to `key` by edit distance, if it is close enough to be a plausible typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
