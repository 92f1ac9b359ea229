// A run that does not start: the scenario requires capabilities the target lacks (harness/targets/capabilities.ts).
// It still gets a run folder (run.json, results.json, summary.md) so a matrix cell or a CI log can point at the
// reason, but no target is started, no history is recorded and no check runs: its outcome is "not-supported".
import { getTarget } from '../targets/registry';
import { describeCapabilities, missingCapabilities } from '../targets/capabilities';
import { RunFolder, gitSha } from '../results/store';
import { computeStats } from '../results/stats';
import type { RunOptions, RunResult } from './run-scenario';
import { targetSettings } from './target-settings';

/** The not-supported result of this run, or null when the target has what the scenario requires. */
export function notSupportedRun(o: RunOptions, targetName: string, runtime: string, seed: number): RunResult | null {
  const sc = o.scenario;
  if (sc.requires.length === 0) return null;
  let caps;
  try {
    // Stryker disable next-line OptionalChaining: calling a missing capabilities() throws, and the catch answers null
    caps = getTarget(targetName).capabilities?.(targetSettings(sc, o.scenarioFile, targetName));
  } catch {
    return null; // an unknown target or bad settings: the normal path reports it
  }
  if (!caps) return null;
  const missing = missingCapabilities(sc.requires, caps);
  if (missing.length === 0) return null;
  const began = Date.now();
  const folder = new RunFolder(o.outDir, sc.name);
  const summary = `Not supported: ${targetName} lacks ${describeCapabilities(missing)}.`;
  const verdict = { valid: 'unknown' as const, summary, details: { notSupported: { missing } } };
  // A run that never started has no record or event. (The stats count records by kind and events by type.)
  // Stryker disable next-line ArrayDeclaration: a string in either list has neither a kind nor a type
  const stats = computeStats([], [], began, began);
  folder.writeJson('run.json', {
    runId: folder.runId,
    scenario: sc.name,
    description: sc.description,
    target: targetName,
    runtime,
    seed,
    startedAt: new Date(began).toISOString(),
    finishedAt: new Date(began).toISOString(),
    status: 'not-supported',
    versions: { node: process.version, git: gitSha() },
    scenarioFile: o.scenarioFile,
    scenarioConfig: sc,
    outcome: 'not-supported',
    notSupported: { missing },
  });
  folder.writeJson('results.json', {
    outcome: 'not-supported',
    valid: 'unknown',
    summary,
    notSupported: { missing },
    checks: [],
    stats,
  });
  folder.writeText(
    'summary.md',
    `# ${sc.name} on ${targetName}: not supported\n\n${summary}\n\nThe scenario requires: ` +
      `${sc.requires.join(', ')}. Nothing was started or checked.\n`,
  );
  o.onProgress?.(`${sc.name}: not supported by ${targetName} (${missing.join(', ')})`);
  return {
    scenario: sc.name,
    target: targetName,
    dir: folder.dir,
    verdict,
    checks: [],
    stats,
    durationMs: 0,
    notSupported: { missing },
  };
}
