// A scenario requiring a capability the target lacks never starts: outcome not-supported ("—"), a run folder that
// says why, no check run, and an exit code that is neither a pass nor a failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseScenario } from '../scenarios/load-scenario';
import { runScenario } from './run-scenario';
import { exitCodeOfOutcomes, outcomeOf, outcomeWord } from './run-outcome';
import { missingCapabilities } from '../targets/capabilities';

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
