// A scenario requiring a capability the target lacks never starts: outcome not-supported ("—"), a run folder that
// says why, no check run, and an exit code that is neither a pass nor a failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseScenario } from '../scenarios/load-scenario';
import { runScenario } from './run-scenario';
import { exitCodeOfOutcomes, outcomeOf, outcomeWord } from './run-outcome';
import { missingCapabilities, type Capability } from '../targets/capabilities';
import { registerTarget } from '../targets/registry';
import { computeStats } from '../results/stats';
import { gitSha } from '../results/store';
import { notSupportedRun } from './not-supported';
import { targetSettings } from './target-settings';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-notsup-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const scenario = parseScenario(
  {
    name: 'needs-memory-recycle',
    requires: ['faults', 'memoryRecycle'],
    workload: [{ name: 'load', duration: 1000 }],
    expect: [{ check: 'noFailedRequests' }],
  },
  'inline',
);

test('node-cluster lacks memoryRecycle: the run is not supported and nothing starts', async () => {
  const r = await runScenario({
    scenario,
    scenarioFile: path.join(out, 'x.yaml'),
    target: 'node-cluster',
    outDir: out,
    log: pino({ level: 'silent' }),
  });
  expect(r.notSupported).toEqual({ missing: ['memoryRecycle'] });
  expect(outcomeOf(r)).toBe('not-supported');
  expect(outcomeWord(outcomeOf(r))).toBe('—');
  expect(r.checks).toEqual([]);
  const results = JSON.parse(fs.readFileSync(path.join(r.dir, 'results.json'), 'utf8'));
  expect(results.outcome).toBe('not-supported');
  expect(fs.readFileSync(path.join(r.dir, 'summary.md'), 'utf8')).toMatch(/memoryRecycle/);
  expect(fs.existsSync(path.join(r.dir, 'history.jsonl'))).toBe(false);
});

test('w3 states no restriction: the same requirement is met', () => {
  expect(missingCapabilities(['memoryRecycle', 'faults'], ['faults'])).toEqual(['memoryRecycle']);
  expect(missingCapabilities([], [])).toEqual([]);
});

test('exit codes: fail > unknown > pass; only not-supported runs give 3', () => {
  expect(exitCodeOfOutcomes(['pass', 'not-supported'])).toBe(0);
  expect(exitCodeOfOutcomes(['not-supported', 'fail'])).toBe(1);
  expect(exitCodeOfOutcomes(['unknown', 'pass'])).toBe(2);
  expect(exitCodeOfOutcomes(['not-supported', 'not-supported'])).toBe(3);
  expect(exitCodeOfOutcomes([])).toBe(2);
});

describe('notSupportedRun', () => {
  /** A target whose capabilities are whatever the test says (or that throws), counting how often it is asked. */
  let caps: () => readonly Capability[] = () => [];
  const asked: unknown[] = [];
  registerTarget('lab-fake-caps', () => ({
    name: 'lab-fake-caps',
    capabilities: (settings) => (asked.push(settings), caps()),
    setup: () => Promise.reject(new Error('never started')),
  }));
  const sc = parseScenario(
    {
      name: 'needs-two',
      description: 'two mechanisms',
      requires: ['faults', 'memoryRecycle', 'idleShutdown'],
      targets: { 'lab-fake-caps': { knob: 1 } },
      workload: [{ name: 'load', duration: 1000 }],
      expect: [{ check: 'noFailedRequests' }],
    },
    'inline',
  );
  const file = path.join(out, 'direct', 'needs-two.yaml');
  const options = (over: Partial<Parameters<typeof notSupportedRun>[0]> = {}) => ({
    scenario: sc,
    scenarioFile: file,
    outDir: path.join(out, 'direct'),
    log: pino({ level: 'silent' }),
    ...over,
  });
  beforeEach(() => {
    asked.length = 0;
    caps = () => ['faults'];
  });

  it('writes run.json, results.json and summary.md naming what is missing, and reports progress', () => {
    const progress: string[] = [];
    const r = notSupportedRun(options({ onProgress: (m) => progress.push(m) }), 'lab-fake-caps', 'container', 5)!;
    expect(asked).toEqual([targetSettings(sc, file, 'lab-fake-caps')]);
    const missing = ['memoryRecycle', 'idleShutdown'];
    const summary =
      'Not supported: lab-fake-caps lacks memoryRecycle (a worker over a memory limit is restarted), ' +
      'idleShutdown (an idle worker is shut down after a timeout).';
    const stats = computeStats([], [], 0, 0);
    expect(r).toEqual({
      scenario: 'needs-two',
      target: 'lab-fake-caps',
      dir: expect.any(String),
      verdict: { valid: 'unknown', summary, details: { notSupported: { missing } } },
      checks: [],
      stats,
      durationMs: 0,
      notSupported: { missing },
    });
    const read = (f: string): unknown => JSON.parse(fs.readFileSync(path.join(r.dir, f), 'utf8'));
    expect(read('run.json')).toEqual({
      runId: `needs-two-${path.basename(r.dir)}`,
      scenario: 'needs-two',
      description: 'two mechanisms',
      target: 'lab-fake-caps',
      runtime: 'container',
      seed: 5,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      status: 'not-supported',
      versions: { node: process.version, git: gitSha() },
      scenarioFile: file,
      scenarioConfig: JSON.parse(JSON.stringify(sc)),
      outcome: 'not-supported',
      notSupported: { missing },
    });
    const info = read('run.json') as { startedAt: string; finishedAt: string };
    expect(info.finishedAt).toBe(info.startedAt);
    expect(read('results.json')).toEqual({
      outcome: 'not-supported',
      valid: 'unknown',
      summary,
      notSupported: { missing },
      checks: [],
      stats,
    });
    expect(fs.readFileSync(path.join(r.dir, 'summary.md'), 'utf8')).toBe(
      `# needs-two on lab-fake-caps: not supported\n\n${summary}\n\nThe scenario requires: ` +
        'faults, memoryRecycle, idleShutdown. Nothing was started or checked.\n',
    );
    expect(progress).toEqual(['needs-two: not supported by lab-fake-caps (memoryRecycle, idleShutdown)']);
  });

  it('null, and no folder, when nothing is missing, nothing is required, or it cannot be told', () => {
    const before = fs.existsSync(path.join(out, 'direct', 'needs-two'))
      ? fs.readdirSync(path.join(out, 'direct', 'needs-two')).length
      : 0;
    caps = () => ['faults', 'memoryRecycle', 'idleShutdown'];
    expect(notSupportedRun(options(), 'lab-fake-caps', 'process', 1)).toBeNull();
    // A scenario that requires nothing does not even ask the target.
    asked.length = 0;
    const none = { ...sc, requires: [] };
    expect(notSupportedRun(options({ scenario: none }), 'lab-fake-caps', 'process', 1)).toBeNull();
    expect(asked).toEqual([]);
    // w3 states no restriction; an unknown target or settings it throws on are for the normal path to report.
    expect(notSupportedRun(options(), 'w3', 'process', 1)).toBeNull();
    expect(notSupportedRun(options(), 'no-such-target', 'process', 1)).toBeNull();
    caps = () => {
      throw new Error('bad settings');
    };
    expect(notSupportedRun(options(), 'lab-fake-caps', 'process', 1)).toBeNull();
    const after = fs.existsSync(path.join(out, 'direct', 'needs-two'))
      ? fs.readdirSync(path.join(out, 'direct', 'needs-two')).length
      : 0;
    expect(after).toBe(before);
  });
});
