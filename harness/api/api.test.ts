// The public API (harness/index.ts) as a user's code calls it: a scenario object run to a typed result in a suite
// folder; a step-by-step session (drive, fault, check) whose checks write reports; checks spelled as in YAML; the
// registries accepting a new checker and target and refusing a taken name; the Jest matcher's messages.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import * as lab from '../index';
import { toPassChecks } from '../jest';
import { RunBuilder } from '../checkers/test-support/run-builder';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'api-test-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

const LOAD = { name: 'load', connections: 2, duration: '1500ms' };

test('runScenario: an object in, a typed result out, written as a suite in `out`', async () => {
  const r = await lab.runScenario(
    // minRequests 10: a short window on a loaded machine may see fewer than the default 100.
    {
      name: 'api-steady',
      config: { pools: [{ name: 'app', startMode: 'AlwaysRunning' }] },
      workload: [LOAD],
      settle: 100,
      expect: [{ check: 'noFailedRequests', options: { minRequests: 10 } }, { check: 'connectionsSurvive' }],
    },
    { out },
  );
  expect(r).toMatchObject({ scenario: 'api-steady', target: 'w3', outcome: 'pass', valid: true });
  expect(r.checks.map((c) => [c.name, c.verdict.valid])).toEqual([
    ['noFailedRequests', true],
    ['connectionsSurvive', true],
  ]);
  expect(r.stats.requests).toBeGreaterThan(0);
  for (const f of Object.values(r.files)) expect([f, fs.existsSync(f)]).toEqual([f, true]);
  expect(path.dirname(r.dir)).toBe(r.suiteDir);
  expect(fs.realpathSync(path.join(out, 'latest'))).toBe(fs.realpathSync(r.suiteDir));
  expect(toPassChecks(r).pass).toBe(true);
}, 60_000);

test('runScenario refuses a bad object before anything starts, naming the path', async () => {
  await expect(
    lab.runScenario(
      { name: 'x', workload: [{ name: 'l', duration: 'forever' }], expect: [{ check: 'noFailedRequests' }] },
      { out },
    ),
  ).rejects.toThrow(/workload\.0\.duration/);
  await expect(
    lab.runScenario({ name: 'x', workload: [LOAD], expect: [{ check: 'noSuchCheck' }] }, { out }),
  ).rejects.toThrow(/unknown checker "noSuchCheck"/);
  await expect(
    lab.runScenario(
      { name: 'x', target: 'lighttpd', workload: [LOAD], expect: [{ check: 'noFailedRequests' }] },
      { out },
    ),
  ).rejects.toThrow(/unknown target "lighttpd"/);
});

test('runScenarios checks every scenario before its suite folder exists: a bad second one runs nothing', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'api-test-pre-'));
  try {
    const good = { name: 'good', workload: [LOAD], expect: [{ check: 'noFailedRequests' }] };
    const bad = { ...good, name: 'bad', config: { pools: [{ name: 'app', startmode: 'AlwaysRunning' }] } };
    const err: unknown = await lab.runScenarios([good, bad], { out: empty }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(lab.PreflightError);
    expect((err as Error).message).toBe(
      'scenario object "bad" (target w3): 1 problem(s) found before the run:\n' +
        '  config.pools.0.startmode: unknown key (did you mean "startMode"?)',
    );
    await expect(lab.runScenarios([good, good], { out: empty })).rejects.toThrow(
      'name: scenario name "good" must be unique in a suite (scenario object "good" is given twice)',
    );
    expect(fs.readdirSync(empty)).toEqual([]);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('a session: drive load, SIGKILL the worker, check — then a second window with its own verdict', async () => {
  const session = await lab.startTarget({
    name: 'api-session',
    out,
    config: { pools: [{ name: 'app', startMode: 'AlwaysRunning' }] },
  });
  try {
    const load = session.drive({ connections: 4, duration: '2s', requests: [{ path: '/slow?ms=20' }] });
    const deadline = Date.now() + 20_000;
    while (session.history().filter((r) => r.kind === 'request').length < 10) {
      if (Date.now() > deadline) throw new Error('no requests recorded');
      await new Promise((r) => setTimeout(r, 50));
    }
    const [worker] = await session.workers('app');
    await session.fault({ action: 'signal', signal: 'SIGKILL' });
    await load;
    const first = await session.check(
      [{ check: 'connectionsSurvive' }, { check: 'noFailedRequests', options: { minRequests: 10 } }],
      { name: 'kill' },
    );
    expect(first).toMatchObject({ scenario: 'kill', valid: true });
    expect(first.stats.crashes).toBe(1);
    expect(fs.existsSync(first.files.report)).toBe(true);
    expect(session.history()).toEqual([]); // the next window starts empty
    // A window with a 500 fault: noFailedRequests fails, and the failure message names it and the report.
    await session.waitForReady('app');
    await session.fault({ action: 'fault', fault: { kind: 'error', status: 500 } });
    await session.drive({ connections: 1, duration: '500ms' });
    const second = await session.check([{ check: 'noFailedRequests' }]);
    expect(second).toMatchObject({ scenario: 'check-2', valid: false, outcome: 'fail' });
    const m = toPassChecks(second);
    expect(m.pass).toBe(false);
    expect(m.message()).toContain('FAIL    noFailedRequests');
    expect(m.message()).toContain(`report: ${second.files.report}`);
    expect(worker!.pid).toBeGreaterThan(0);
    await expect(session.fault({ action: 'signal', signal: 'SIGNOPE' } as never)).rejects.toThrow(/invalid fault step/);
  } finally {
    await session.stop();
  }
  const suite = JSON.parse(fs.readFileSync(path.join(session.dir, 'suite.json'), 'utf8')) as lab.SuiteInfo;
  expect(suite.runs.map((r) => [r.scenario, r.outcome])).toEqual([
    ['kill', 'pass'],
    ['check-2', 'fail'],
  ]);
  expect(suite.status).toBe('finished');
}, 90_000);

test('check(): expectations spelled as in YAML over recorded data', () => {
  const b = new RunBuilder(1000);
  b.request(10, { outcome: 'fail', status: 500, error: 'status-5xx' });
  b.request(20, {});
  const r = lab.check(b.input(), [{ check: 'noFailedRequests', options: { maxFailed: 1, minRequests: 2 } }]);
  expect(r.verdict.valid).toBe(true);
  expect(lab.check(b.input(), [{ check: 'noFailedRequests' }]).verdict.valid).toBe(false);
  expect(() => lab.check(b.input(), [{ name: 'noFailedRequests' } as never])).toThrow(/check/);
});

test('registries: a new checker and target can be named by scenarios; taken or bad names are refused', () => {
  const always = lab.defineChecker('alwaysValidForTest', z.object({}).strict(), () => lab.verdict(true, 'fine'));
  lab.registerChecker(always);
  lab.registerChecker(always); // the same object again: a no-op
  expect(lab.checkerNames).toContain('alwaysValidForTest');
  expect(
    lab.parseScenario({ name: 'x', workload: [LOAD], expect: [{ check: 'alwaysValidForTest' }] }, 'obj').expect[0]!
      .check,
  ).toBe('alwaysValidForTest');
  expect(() =>
    lab.registerChecker(lab.defineChecker('noFailedRequests', z.object({}), () => lab.verdict(true, ''))),
  ).toThrow(/taken: a built-in/);
  expect(() => lab.registerChecker(lab.defineChecker('Bad Name', z.object({}), () => lab.verdict(true, '')))).toThrow(
    /camelCase/,
  );
  const factory = (): lab.Target => ({ name: 'my-server', setup: () => Promise.reject(new Error('not here')) });
  lab.registerTarget('my-server', factory);
  expect(lab.targetNames()).toContain('my-server');
  expect(lab.getTarget('my-server').name).toBe('my-server');
  expect(() => lab.registerTarget('w3', factory)).toThrow(/taken: a built-in/);
  expect(() => lab.registerTarget('My Server', factory)).toThrow(/lower-case/);
});
