// The sensitivity table's judgement of each run, on run results made up here (runScenario is replaced): a row is ok
// only when the w3 run PASSes with its faults shown, or the sabotaged run FAILs through a check the sabotage breaks.
// The real runs are harness/cli/sensitivity.suite.test.ts and `npm run sensitivity`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { CheckResult, Verdict } from '../checkers';
import { computeStats } from '../results/stats';
import { listScenarioFiles, loadScenario, ScenarioError } from '../scenarios/load-scenario';
import { SABOTAGES, sabotaged } from '../scenarios/sabotage';
import { runScenario, type RunOptions, type RunResult } from './run-scenario';
import {
  renderSensitivityMarkdown,
  runBaseline,
  runSabotage,
  runSensitivity,
  type SensitivityRow,
} from './sensitivity';
import { sensitivityMain, sensitivityScript, type ScriptProcess } from './sensitivity-main';

jest.mock('./run-scenario', () => ({ runScenario: jest.fn() }));
const run = runScenario as jest.MockedFunction<typeof runScenario>;

const log = pino({ level: 'silent' });
const out = '/nonexistent/sensitivity-out';
const check = (name: string, valid: Verdict['valid'], label?: string, summary = `${name} said so`): CheckResult => ({
  name,
  ...(label ? { label } : {}),
  verdict: { valid, summary, details: {} },
});
const result = (valid: Verdict['valid'], checks: CheckResult[], summary = 'the verdict'): RunResult => ({
  scenario: 'x',
  target: 'w3',
  dir: '/runs/x',
  verdict: { valid, summary, details: {} },
  checks,
  stats: computeStats([], [], 0, 0),
  durationMs: 4321,
});
const fileOf = (name: string): string => listScenarioFiles().find((f) => path.basename(f, '.yaml') === name)!;

beforeEach(() => run.mockReset());

describe('runBaseline: the scenario against w3 as configured', () => {
  it('runs the bundled file on w3 into <out>/w3; PASS with its faults shown is ok', async () => {
    run.mockResolvedValue(result(true, [check('noFailedRequests', true), check('faultsTookEffect', true)]));
    const row = await runBaseline('worker-crash', { outDir: out, log });
    const file = fileOf('worker-crash');
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0]![0]).toEqual({
      scenario: loadScenario(file),
      scenarioFile: file,
      target: 'w3',
      outDir: path.join(out, 'w3'),
      log,
    });
    expect(row).toEqual({
      scenario: 'worker-crash',
      variant: 'w3',
      sabotage: '—',
      expected: 'PASS',
      seen: 'PASS',
      checks: [],
      ok: true,
      why: '',
      dir: '/runs/x',
      durationMs: 4321,
    });
  });

  it('a PASS without a faultsTookEffect check (a scenario without faults) is ok', async () => {
    run.mockResolvedValue(result(true, [check('noFailedRequests', true)]));
    expect(await runBaseline('steady-state', { outDir: out, log })).toMatchObject({ ok: true, why: '' });
  });

  it('a PASS whose faults were not shown is not ok, and says why', async () => {
    run.mockResolvedValue(result(true, [check('faultsTookEffect', 'unknown', undefined, 'no WorkerCrashed seen')]));
    expect(await runBaseline('worker-crash', { outDir: out, log })).toMatchObject({
      seen: 'PASS',
      checks: ['faultsTookEffect'],
      ok: false,
      why: 'faultsTookEffect: no WorkerCrashed seen',
    });
    run.mockResolvedValue(result(true, [check('faultsTookEffect', false, undefined, 'not shown')]));
    expect(await runBaseline('worker-crash', { outDir: out, log })).toMatchObject({
      ok: false,
      why: 'faultsTookEffect: not shown',
    });
    // faultsTookEffect is found by name among the other checks, wherever it is.
    run.mockResolvedValue(result(true, [check('noFailedRequests', true), check('faultsTookEffect', false)]));
    expect(await runBaseline('worker-crash', { outDir: out, log })).toMatchObject({
      ok: false,
      why: 'faultsTookEffect: faultsTookEffect said so',
    });
  });

  it('a FAIL lists the failed checks by label; an UNKNOWN lists the undecided ones; neither is ok', async () => {
    const checks = [
      check('noFailedRequests', false, 'noFailedRequests[phase=load]'),
      check('connectionsSurvive', 'unknown'),
      check('eventsSeen', true),
      check('faultsTookEffect', true),
    ];
    run.mockResolvedValue(result(false, checks, '1 of 4 checks failed'));
    expect(await runBaseline('worker-crash', { outDir: out, log })).toMatchObject({
      seen: 'FAIL',
      checks: ['noFailedRequests[phase=load]'],
      ok: false,
      why: '1 of 4 checks failed',
    });
    run.mockResolvedValue(result('unknown', checks, 'could not decide'));
    expect(await runBaseline('worker-crash', { outDir: out, log })).toMatchObject({
      seen: 'UNKNOWN',
      checks: ['connectionsSurvive'],
      ok: false,
      why: 'could not decide',
    });
  });

  it('an unknown scenario name is an error naming it, before anything runs', async () => {
    await expect(runBaseline('no-such-scenario', { outDir: out, log })).rejects.toThrow(
      'no bundled scenario no-such-scenario',
    );
    expect(run).not.toHaveBeenCalled();
  });
});

describe('runSabotage: the scenario against its sabotaged target', () => {
  const s = SABOTAGES.find((x) => x.scenario === 'steady-state')!;

  it('runs the sabotaged scenario on its target into <out>/sabotage; FAIL through a listed check is ok', async () => {
    run.mockResolvedValue(
      result(false, [check('noFailedRequests', false, 'noFailedRequests[phase=load]'), check('x', true)]),
    );
    const row = await runSabotage(s, { outDir: out, log });
    const file = fileOf('steady-state');
    expect(run.mock.calls[0]![0]).toEqual({
      scenario: sabotaged(loadScenario(file), s),
      scenarioFile: file,
      target: s.target,
      outDir: path.join(out, 'sabotage'),
      log,
    });
    expect(row).toEqual({
      scenario: 'steady-state',
      variant: 'sabotage',
      sabotage: `w3: ${s.sabotage}`,
      expected: 'FAIL',
      seen: 'FAIL',
      checks: ['noFailedRequests[phase=load]'],
      ok: true,
      why: '',
      dir: '/runs/x',
      durationMs: 4321,
    });
  });

  it('a FAIL through a listed check beside other failed checks is ok (a sabotage may break more)', async () => {
    run.mockResolvedValue(result(false, [check('eventsSeen', false), check('connectionsSurvive', false)]));
    expect(await runSabotage(s, { outDir: out, log })).toMatchObject({
      seen: 'FAIL',
      checks: ['eventsSeen', 'connectionsSurvive'],
      ok: true,
      why: '',
    });
  });

  it('a FAIL through another check is not ok, and names the checks it should have failed through', async () => {
    run.mockResolvedValue(result(false, [check('eventsSeen', false)]));
    expect(await runSabotage(s, { outDir: out, log })).toMatchObject({
      seen: 'FAIL',
      checks: ['eventsSeen'],
      ok: false,
      why: 'failed, but not through connectionsSurvive or noFailedRequests',
    });
  });

  it('a PASS or an UNKNOWN is not ok, even when an expected check is among the undecided ones', async () => {
    run.mockResolvedValue(result(true, [check('noFailedRequests', true)], 'all passed'));
    expect(await runSabotage(s, { outDir: out, log })).toMatchObject({ seen: 'PASS', ok: false, why: 'all passed' });
    run.mockResolvedValue(result('unknown', [check('noFailedRequests', 'unknown')], 'undecided'));
    expect(await runSabotage(s, { outDir: out, log })).toMatchObject({
      seen: 'UNKNOWN',
      checks: ['noFailedRequests'],
      ok: false,
      why: 'undecided',
    });
  });
});

describe('runSensitivity', () => {
  beforeEach(() => run.mockResolvedValue(result(true, [])));
  const targets = (): string[] => run.mock.calls.map(([o]: [RunOptions]) => `${o.scenario.name} on ${o.target}`);

  it('runs each scenario asked for against w3, then against its sabotage; nothing else', async () => {
    const rows = await runSensitivity({ outDir: out, log, only: ['worker-crash', 'steady-state'] });
    // In the order of the bundled files, not of `only`.
    expect(targets()).toEqual([
      'steady-state on w3',
      'steady-state-sabotaged on w3',
      'worker-crash on w3',
      'worker-crash-sabotaged on w3',
    ]);
    expect(rows.map((r) => `${r.scenario} ${r.variant}`)).toEqual([
      'steady-state w3',
      'steady-state sabotage',
      'worker-crash w3',
      'worker-crash sabotage',
    ]);
  });

  it('a name that is no bundled scenario: a scenario error naming each such name, before anything runs', async () => {
    const names = listScenarioFiles().map((f) => path.basename(f, '.yaml'));
    const asked = runSensitivity({ outDir: out, log, only: ['steady-stat', 'steady-state', 'nope'] });
    await expect(asked).rejects.toThrow(ScenarioError);
    await expect(asked).rejects.toThrow(
      new ScenarioError(`no bundled scenario steady-stat, nope (scenarios: ${names.join(', ')})`),
    );
    expect(run).not.toHaveBeenCalled();
  });

  it('withBaseline: false runs only the sabotages; without `only`, every bundled scenario', async () => {
    await runSensitivity({ outDir: out, log, only: ['steady-state'], withBaseline: false });
    expect(targets()).toEqual(['steady-state-sabotaged on w3']);
    run.mockClear();
    await runSensitivity({ outDir: out, log });
    expect(run).toHaveBeenCalledTimes(listScenarioFiles().length + SABOTAGES.length);
  });
});

const row = (over: Partial<SensitivityRow>): SensitivityRow => ({
  scenario: 'steady-state',
  variant: 'w3',
  sabotage: '—',
  expected: 'PASS',
  seen: 'PASS',
  checks: [],
  ok: true,
  why: '',
  dir: '/d',
  durationMs: 12_345,
  ...over,
});

test('renderSensitivityMarkdown: one table row per run; a row not as expected shows in bold with why', () => {
  const rows = [
    row({}),
    row({
      variant: 'sabotage',
      sabotage: 'w3: retryIdempotent: false',
      expected: 'FAIL',
      seen: 'PASS',
      checks: ['a[phase=x]', 'b'],
      ok: false,
      why: 'a | b passed',
      durationMs: 950,
    }),
    row({ variant: 'sabotage', sabotage: 'w3: x', expected: 'FAIL', seen: 'FAIL', checks: ['a'], durationMs: 0 }),
  ];
  expect(renderSensitivityMarkdown(rows)).toBe(
    [
      '| scenario | target | expected | seen | checks behind the verdict | run |',
      '| --- | --- | --- | --- | --- | --- |',
      '| steady-state | w3 (as configured) | PASS | PASS | — | 12.3 s |',
      '| steady-state | w3: retryIdempotent: false | FAIL | **PASS** (a \\| b passed) | a[phase=x], b | 0.9 s |',
      '| steady-state | w3: x | FAIL | FAIL | a | 0.0 s |',
    ].join('\n'),
  );
});

describe('sensitivityMain (`npm run sensitivity`)', () => {
  const results = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-sensitivity-main-'));
  afterAll(() => fs.rmSync(results, { recursive: true, force: true }));
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('writes the table with when, where and how it was measured; exit 0 when every row is as expected', async () => {
    run.mockImplementation(async (o) =>
      o.scenario.name.endsWith('-sabotaged') ? result(false, [check('noFailedRequests', false)]) : result(true, []),
    );
    let printed = '';
    const code = await sensitivityMain(['steady-state'], results, (t) => (printed += t));
    expect(code).toBe(0);
    const outDir = path.join(results, 'sensitivity', fs.readdirSync(path.join(results, 'sensitivity'))[0]!);
    expect(path.basename(outDir)).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    expect(run.mock.calls[0]![0].outDir).toBe(path.join(outDir, 'w3'));
    const cpu = os.cpus()[0]!.model.trim();
    const gib = Math.round(os.totalmem() / 2 ** 30);
    const header = new RegExp(
      `^Measured \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d UTC on ${escape(os.hostname())} ` +
        `\\(${os.cpus().length} × ${escape(cpu)}, ${gib} GiB; 1-min load \\d+\\.\\d before, \\d+\\.\\d after\\), ` +
        '`npm run sensitivity steady-state`, \\d+ s; 2 of 2 rows as expected:$',
    );
    const md = fs.readFileSync(path.join(outDir, 'sensitivity.md'), 'utf8');
    const lines = md.split('\n');
    expect(lines[0]).toMatch(header);
    expect(lines.slice(1)).toEqual([
      '',
      ...renderSensitivityMarkdown([
        row({ durationMs: 4321, dir: '/runs/x' }),
        row({
          variant: 'sabotage',
          sabotage: `w3: ${SABOTAGES.find((x) => x.scenario === 'steady-state')!.sabotage}`,
          expected: 'FAIL',
          seen: 'FAIL',
          checks: ['noFailedRequests'],
          durationMs: 4321,
          dir: '/runs/x',
        }),
      ]).split('\n'),
      '',
    ]);
    expect(printed).toBe(`${md}\nruns: ${outDir}\n`);
    expect(fs.existsSync(path.join(outDir, 'lab.log'))).toBe(true);
  });

  it('exit 1 when a row is not as expected; every scenario when none is named; no CPU model known', async () => {
    run.mockResolvedValue(result(false, [check('noFailedRequests', false)]));
    const cpus = jest.spyOn(os, 'cpus').mockReturnValue([]);
    let printed = '';
    try {
      expect(await sensitivityMain([], fs.mkdtempSync(path.join(results, 'all-')), (t) => (printed += t))).toBe(1);
    } finally {
      cpus.mockRestore();
    }
    expect(run).toHaveBeenCalledTimes(listScenarioFiles().length + SABOTAGES.length);
    // Every w3 row is wrong (FAIL); a sabotage row is right when noFailedRequests is one it breaks.
    const right = SABOTAGES.filter((s) => s.failing.includes('noFailedRequests')).length;
    const all = listScenarioFiles().length + SABOTAGES.length;
    expect(printed).toMatch(
      new RegExp(`\\(0 × unknown CPU, .*\\), \`npm run sensitivity\`, \\d+ s; ${right} of ${all} rows as expected:\n`),
    );
  });

  it('names every scenario in the command, trims the CPU model, gives the time the runs took in seconds', async () => {
    // Each run takes 45 s on a clock moved forward by the fake runs; the rest is the real (short) time of the test.
    const realNow = Date.now.bind(Date);
    let ahead = 0;
    const now = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ahead);
    const cpu = { ...os.cpus()[0]!, model: '  Lab CPU 9 \n' };
    const cpus = jest.spyOn(os, 'cpus').mockReturnValue([cpu, cpu]);
    run.mockImplementation(async () => ((ahead += 45_000), result(true, [])));
    let printed = '';
    const wall = realNow();
    try {
      const dir = fs.mkdtempSync(path.join(results, 'named-'));
      await sensitivityMain(['steady-state', 'worker-crash'], dir, (t) => (printed += t));
    } finally {
      now.mockRestore();
      cpus.mockRestore();
    }
    const runs = run.mock.calls.length;
    expect(runs).toBeGreaterThan(2);
    const m = /\(2 × Lab CPU 9, .*\), `npm run sensitivity steady-state worker-crash`, (\d+) s;/.exec(printed);
    expect(m).not.toBeNull();
    const extra = Math.ceil((realNow() - wall) / 1000);
    expect(Number(m![1])).toBeGreaterThanOrEqual(runs * 45);
    expect(Number(m![1])).toBeLessThanOrEqual(runs * 45 + extra);
  });

  it('the lab log is written as the runs go: every line is in lab.log when the table is done', async () => {
    run.mockImplementation(async (o) => (o.log.info({ scenario: o.scenario.name }, 'a run'), result(true, [])));
    const dir = fs.mkdtempSync(path.join(results, 'log-'));
    await sensitivityMain(['steady-state'], dir, () => undefined);
    const outDir = path.join(dir, 'sensitivity', fs.readdirSync(path.join(dir, 'sensitivity'))[0]!);
    const logged = fs
      .readFileSync(path.join(outDir, 'lab.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { scenario: string }).scenario);
    expect(logged).toEqual(['steady-state', 'steady-state-sabotaged']);
  });
});

describe('sensitivityScript (the script entry of `npm run sensitivity`)', () => {
  const results = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-sensitivity-script-'));
  afterAll(() => fs.rmSync(results, { recursive: true, force: true }));
  const proc = (...args: string[]): ScriptProcess & { out: string; err: string } => {
    const p = {
      argv: ['/usr/bin/node', '/lab/dist/harness/runner/sensitivity-main.js', ...args],
      out: '',
      err: '',
      stdout: { write: (t: string) => (p.out += t) },
      stderr: { write: (t: string) => (p.err += t) },
      exitCode: undefined as ScriptProcess['exitCode'],
    };
    return p;
  };

  it("the scenarios come after the script path; the table goes to stdout; the exit code is the table's", async () => {
    run.mockImplementation(async (o) =>
      o.scenario.name.endsWith('-sabotaged') ? result(false, [check('noFailedRequests', false)]) : result(true, []),
    );
    const p = proc('steady-state');
    await sensitivityScript(p, results);
    expect(p.exitCode).toBe(0);
    expect(p.err).toBe('');
    expect(p.out).toMatch(/^Measured .*`npm run sensitivity steady-state`, \d+ s; 2 of 2 rows as expected:\n/);
    expect(p.out).toMatch(/\nruns: .*\n$/);
    run.mockResolvedValue(result(false, [check('noFailedRequests', false)]));
    const wrong = proc('steady-state');
    await sensitivityScript(wrong, results);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.out).toMatch(/; 1 of 2 rows as expected:\n/);
  });

  it('a name that is no bundled scenario: exit 254 with the message alone, and no results folder', async () => {
    const dir = fs.mkdtempSync(path.join(results, 'typo-'));
    const p = proc('steady-state', 'worker-crahs');
    await sensitivityScript(p, dir);
    expect(p.exitCode).toBe(254);
    expect(p.out).toBe('');
    expect(p.err).toMatch(/^sensitivity: no bundled scenario worker-crahs \(scenarios: [^\n]*\)\n$/);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(run).not.toHaveBeenCalled();
  });

  it('a crash: its stack on stderr and exit 255, nothing on stdout; a thrown non-error printed as text', async () => {
    const file = path.join(results, 'a-file');
    fs.writeFileSync(file, '');
    const p = proc('steady-state');
    await sensitivityScript(p, file); // the results folder cannot be made under a file
    expect(p.exitCode).toBe(255);
    expect(p.out).toBe('');
    expect(p.err).toMatch(/^sensitivity: Error: ENOTDIR[^\n]*\n( +at .*\n)+$/);
    run.mockRejectedValue('the lab went away');
    const q = proc('steady-state');
    await sensitivityScript(q, results);
    expect(q.exitCode).toBe(255);
    expect(q.err).toBe('sensitivity: the lab went away\n');
  });
});
