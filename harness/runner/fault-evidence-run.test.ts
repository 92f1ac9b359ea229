// Faults are evidence, end to end against a real w3 (dist/, `npm run build` first): a step that fails while the
// run goes on leaves the run unknown (exit 2) with the reason on the console, in summary.md, report.html and
// junit.xml; a SIGKILL that happened is confirmed by w3's WorkerCrashed of that pid.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { parseScenario } from '../scenarios/load-scenario';
import { runScenario } from './run-scenario';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-fault-evidence-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const scenarioText = (name: string, lines: string[]): string =>
  [
    `name: ${name}`,
    'config:',
    '  pools:',
    '    - { name: app, startMode: AlwaysRunning, failure: { rapidFailProtectionMaxCrashes: 100 } }',
    'workload:',
    '  - { name: load, connections: 4, duration: 2s }',
    ...lines,
    'expect:',
    '  - check: noFailedRequests',
    '    options: { minRequests: 1 }',
    '',
  ].join('\n');

test('a fault step that fails during the run makes it unknown (exit 2), with the reason everywhere', () => {
  // Fault injection is off for this run, so w3 refuses the injection: the step fails after the run started.
  const file = path.join(dir, 'failing-step.yaml');
  fs.writeFileSync(
    file,
    scenarioText('failing-step', [
      'faultInjection: false',
      'faults:',
      '  - { at: 500ms, action: fault, fault: { kind: hang, mode: block-loop } }',
    ]),
  );
  const out = path.join(dir, 'out');
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'w3lab.js'), 'run', file, '--out', out], {
    encoding: 'utf8',
    timeout: 90_000,
  });
  expect({ status: r.status, stdout: r.stdout }).toMatchObject({ status: 2 });
  const reason = /faults\[0\] \(fault, firing 1\): failed — .*fault injection is not enabled/;
  expect(r.stdout).toMatch(reason);
  const runDir = path.dirname(fs.realpathSync(path.join(out, 'latest', 'failing-step', 'run.json')));
  const results = JSON.parse(fs.readFileSync(path.join(runDir, 'results.json'), 'utf8')) as {
    valid: unknown;
    summary: string;
  };
  expect(results.valid).toBe('unknown');
  expect(results.summary).toMatch(reason);
  expect(fs.readFileSync(path.join(runDir, 'summary.md'), 'utf8')).toMatch(reason);
  expect(fs.readFileSync(path.join(runDir, 'junit.xml'), 'utf8')).toMatch(
    /<testcase [^>]*name="faultsTookEffect"[^>]*>\s*<error [^>]*type="Unknown"/,
  );
  expect(fs.readFileSync(path.join(runDir, 'report.html'), 'utf8')).toMatch(/fault injection is not enabled/);
}, 120_000);

test('a SIGKILL that happened is confirmed by the WorkerCrashed of that pid', async () => {
  const file = path.join(dir, 'sigkill.yaml');
  const sc = parseScenario(
    {
      name: 'sigkill',
      config: { pools: [{ name: 'app', startMode: 'AlwaysRunning', failure: { rapidFailProtectionMaxCrashes: 100 } }] },
      workload: [{ name: 'load', connections: 4, duration: '2s' }],
      faults: [{ at: '500ms', action: 'signal', signal: 'SIGKILL' }],
      expect: [{ check: 'noFailedRequests', options: { minRequests: 1 } }],
    },
    file,
  );
  const r = await runScenario({
    scenario: sc,
    scenarioFile: file,
    outDir: path.join(dir, 'out2'),
    log: pino({ level: 'silent' }),
  });
  const check = r.checks.find((c) => c.name === 'faultsTookEffect');
  expect(check?.verdict).toMatchObject({
    valid: true,
    summary: 'All 1 required fault firing(s) took effect: 1 confirmed by the target.',
  });
  const evidence = (check!.verdict.details['evidence'] as { detail: string }[])[0]!;
  expect(evidence.detail).toMatch(/^WorkerCrashed of pid \d+$/);
  // The report is drawn after run.json says finished (review: every report said "status running").
  const html = fs.readFileSync(path.join(r.dir, 'report.html'), 'utf8');
  expect(html).toContain('<b>status</b> finished');
  // Memory was sampled from the lab side for both workers (the killed one and its replacement).
  const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as {
    memory: { workers: { pid: number; peakMb: number }[] };
  };
  expect(data.memory.workers.length).toBeGreaterThanOrEqual(1);
  expect(data.memory.workers.every((w) => w.peakMb > 5)).toBe(true);
  expect(fs.readFileSync(path.join(r.dir, 'events.jsonl'), 'utf8')).toContain('"type":"WorkerCrashed"');
}, 120_000);
