import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScenario, listScenarioFiles, parseScenario, resolveScenarioFiles, ScenarioError } from './load-scenario';
import { CORE_SCENARIOS } from './test-support/core-scenarios';
import { checkerNames } from '../checkers';

function errorOf(raw: unknown): string {
  try {
    parseScenario(raw, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).exitCode).toBe(254);
    return (err as Error).message;
  }
  throw new Error('expected the scenario to be rejected');
}

const minimal = () => ({
  name: 'x',
  workload: [{ name: 'load', duration: '1s' }],
  expect: [{ check: 'noFailedRequests' }],
});

describe('scenario files', () => {
  it('the core suite has every required scenario and each file is valid', () => {
    const names = listScenarioFiles().map((f) => loadScenario(f).name);
    expect(names).toEqual(CORE_SCENARIOS);
  });

  it('applies defaults and parses durations', () => {
    const s = parseScenario(minimal(), 't');
    expect(s.target).toBe('w3');
    expect(s.workload[0]).toMatchObject({
      client: 'tracked',
      duration: 1000,
      connections: 8,
      timeout: 10000,
      start: 0,
    });
  });

  it('names the path of an unknown key', () => {
    expect(errorOf({ ...minimal(), workload: [{ name: 'l', duration: '1s', conections: 3 }] })).toMatch(
      /workload\.0.*conections/s,
    );
  });

  it('names a bad duration', () => {
    expect(errorOf({ ...minimal(), workload: [{ name: 'l', duration: 'soon' }] })).toMatch(/workload\.0\.duration/);
  });

  it('rejects an unbounded schedule and a step with two triggers', () => {
    expect(errorOf({ ...minimal(), faults: [{ every: '1s', action: 'recycle' }] })).toMatch(/until or times/);
    expect(errorOf({ ...minimal(), faults: [{ at: '1s', every: '1s', times: 2, action: 'recycle' }] })).toMatch(
      /exactly one of at, every, after/,
    );
  });

  it('rejects a bad fault spec inside a step', () => {
    expect(
      errorOf({ ...minimal(), faults: [{ at: '1s', action: 'fault', fault: { kind: 'hang', mode: 'nap' } }] }),
    ).toMatch(/faults\.0.*mode/s);
  });

  it('rejects unknown checkers and bad checker options before anything runs', () => {
    expect(errorOf({ ...minimal(), expect: [{ check: 'everythingFine' }] })).toMatch(
      /unknown checker "everythingFine"/,
    );
    // Every problem of every expectation, one line each, with the dotted paths the schema's own errors use.
    expect(
      errorOf({
        ...minimal(),
        expect: [
          { check: 'noFailedRequests', options: { maxInfo: -1, minRequests: Infinity } },
          { check: 'noFailedRequest' },
          { check: 'latencyBudget', options: { p99: 'fast', typo: 1 } },
        ],
      }),
    ).toBe(
      [
        'invalid scenario test.yaml:',
        '  expect.0.options.maxInfo: Too small: expected number to be >=0',
        '  expect.0.options.minRequests: Invalid input: expected number, received Infinity',
        `  expect.1.check: unknown checker "noFailedRequest" (known: ${checkerNames.join(', ')})`,
        '  expect.2.options.p99: Invalid input: expected number, received string',
        '  expect.2.options: Unrecognized key: "typo"',
      ].join('\n'),
    );
  });

  it('a check named like a property every object has is an unknown checker, not a crash', () => {
    for (const check of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(errorOf({ ...minimal(), expect: [{ check }] })).toContain(`expect.0.check: unknown checker "${check}"`);
    }
  });

  it('refuses two phases of one name and a phase name that is not a plain file name part', () => {
    const twice = {
      ...minimal(),
      workload: [
        { name: 'load', duration: '1s' },
        { name: 'load', duration: '2s' },
      ],
    };
    expect(errorOf(twice)).toBe(
      'invalid scenario test.yaml:\n  workload.1.name: phase name "load" is already used by workload.0',
    );
    for (const name of ['../../escaped', 'a/b', '.hidden', '', 'x'.repeat(65)]) {
      expect([name, errorOf({ ...minimal(), workload: [{ name, duration: '1s' }] })]).toEqual([
        name,
        'invalid scenario test.yaml:\n  workload.0.name: letters, digits, ".", "_" and "-" (at most 64; no "/")',
      ]);
    }
    expect(parseScenario({ ...minimal(), workload: [{ name: 'Burst_2.a-b', duration: '1s' }] }, 't').workload).toEqual([
      expect.objectContaining({ name: 'Burst_2.a-b' }),
    ]);
  });

  it('reports YAML syntax errors and missing files with the file name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scn-'));
    const f = path.join(dir, 'bad.yaml');
    fs.writeFileSync(f, 'name: [unclosed\n');
    expect(() => loadScenario(f)).toThrow(/bad\.yaml is not valid YAML/);
    expect(() => loadScenario(path.join(dir, 'none.yaml'))).toThrow(/cannot read scenario .*none\.yaml/);
    expect(() => resolveScenarioFiles(['no-such-scenario'])).toThrow(/no scenario "no-such-scenario"/);
  });
});
