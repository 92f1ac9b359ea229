// Preflight rules that preflight.test.ts left unchecked (found by mutation testing, `npm run mutate`): the end of a
// workload of several phases, firing times of every kind of step, the wording of a late step, time references
// with offsets and in every option that takes one, expectations meant for another target, the pool an `after:`
// trigger names, where a target's own setting problems are reported, what an unsupported scenario is still checked
// for, and the error preflight throws. In process only: no run starts.
import os from 'node:os';
import path from 'node:path';
import { LAB_EVENT_TYPES } from '../events';
import { parseScenario } from '../scenarios/load-scenario';
import { registerTarget, targetNames } from '../targets/registry';
import { firingTimes, MARK_NAMES, PreflightError, preflight, preflightProblems, workloadEndMs } from './preflight';

const FILE = path.join(os.tmpdir(), 'preflight-rules.yaml');

function scenario(extra: Record<string, unknown> = {}) {
  return parseScenario(
    { name: 'probe', workload: [{ name: 'load', duration: '1s' }], expect: [{ check: 'noFailedRequests' }], ...extra },
    FILE,
  );
}
const problems = (extra: Record<string, unknown>, target = 'w3') => preflightProblems(scenario(extra), FILE, target);
const stepOf = (step: Record<string, unknown>) => scenario({ faults: [step] }).faults[0]!;

describe('when a workload ends and when steps fire', () => {
  const phases = [
    { name: 'warm', duration: '1s' },
    { name: 'load', start: '1s', duration: '2s' },
  ];

  it('the workload ends with its last phase', () => {
    expect(workloadEndMs(scenario({ workload: phases }))).toBe(3000);
    expect(problems({ workload: phases, faults: [{ at: '2500ms', action: 'recycle' }] })).toEqual([]);
    expect(problems({ workload: phases, faults: [{ at: '3s', action: 'recycle' }] }).map((p) => p.path)).toEqual([
      'faults.0',
    ]);
  });

  it('an `after:` step has no firing time known in advance; a repeating one stops at 10 000 firings', () => {
    expect(firingTimes(stepOf({ after: { event: 'PoolStopped' }, action: 'start-pool' }))).toEqual([]);
    expect(firingTimes(stepOf({ at: '300ms', action: 'recycle' }))).toEqual([300]);
    const many = firingTimes(stepOf({ every: '50ms', times: 20_000, action: 'recycle' }));
    expect(many).toHaveLength(10_000);
    expect(many.at(-1)).toBe(500_000);
  });

  it('a late step names at most its first three late firings', () => {
    expect(problems({ faults: [{ every: '400ms', times: 6, action: 'recycle' }] })).toEqual([
      {
        path: 'faults.0',
        message: 'fires at 1200, 1600, 2000 ms, at or after the end of the workload (1000 ms): it would never run',
      },
    ]);
  });
});

describe('time references in check options', () => {
  it('may carry an offset, whole or decimal, forward or back', () => {
    expect(
      problems({
        expect: [
          { check: 'noFailedRequests', options: { from: 'workload-start+1.25', to: 'workload-end-250' } },
          { check: 'noFailedRequests', options: { from: 'fault-injected-12.5' } },
        ],
      }),
    ).toEqual([]);
  });

  it('are checked in `to` and `after` too, naming the mark without its offset', () => {
    expect(
      problems({
        expect: [
          { check: 'noFailedRequests', options: { to: 'wrkload-end-250' } },
          { check: 'hangDetectedWithin', options: { withinMs: 1000, after: 'fault-injectd' } },
          { check: 'noFailedRequests', options: { from: 'phase-strat+1.25' } },
        ],
      }),
    ).toEqual([
      {
        path: 'expect.0.options.to',
        message: expect.stringMatching(/^no mark "wrkload-end" is ever written \(marks: /),
      },
      { path: 'expect.1.options.after', message: expect.stringMatching(/^no mark "fault-injectd" is ever written/) },
      { path: 'expect.2.options.from', message: expect.stringMatching(/^no mark "phase-strat" is ever written/) },
    ]);
  });
});

describe('a time reference ends in its offset, and only there', () => {
  const bad = (ref: string) =>
    problems({ expect: [{ check: 'noFailedRequests', options: { from: ref } }] }).map((p) => p.message);
  it.each([
    ['phase-start+10x', 'phase-start+10x'], // not an offset: it does not end the reference
    ['workload-start+1.', 'workload-start+1.'],
    ['+5', '+5'], // an offset needs a name before it
    ['junk\nworkload-start', 'junk\nworkload-start'],
    ['nope+5', 'nope'],
    ['nope-2.5', 'nope'],
  ])('%j names the mark %j', (ref, name) => {
    expect(bad(ref)).toEqual([`no mark "${name}" is ever written (marks: ${MARK_NAMES.join(', ')})`]);
  });
});

describe('problems list the names that would have been right', () => {
  const twoPools = { pools: [{ name: 'app' }, { name: 'api' }] };

  it('event types, targets, phases and marks', () => {
    const found = problems({
      workload: [
        { name: 'warm', duration: '1s' },
        { name: 'load', duration: '1s' },
      ],
      faults: [{ after: { event: 'Nope' }, action: 'start-pool' }],
      expect: [{ check: 'noFailedRequests', targets: ['nginy'], options: { phase: 'lod', from: 'nope' } }],
    });
    expect(found).toEqual([
      { path: 'faults.0.after.event', message: `no event type "Nope" (known: ${LAB_EVENT_TYPES.join(', ')})` },
      { path: 'expect.0.targets', message: `unknown target "nginy" (known: ${targetNames().join(', ')})` },
    ]);
    expect(targetNames().slice(0, 2).join(', ')).toBe('w3, node-cluster');
    const onTarget = problems({
      workload: [
        { name: 'warm', duration: '1s' },
        { name: 'load', duration: '1s' },
      ],
      expect: [{ check: 'noFailedRequests', options: { phase: 'lod', from: 'nope' } }],
    });
    expect(onTarget).toEqual([
      { path: 'expect.0.options.phase', message: 'no workload phase "lod" (phases: warm, load)' },
      { path: 'expect.0.options.from', message: `no mark "nope" is ever written (marks: ${MARK_NAMES.join(', ')})` },
    ]);
  });

  it("the target's pools, for a check, a fault step and the pool an `after:` waits on", () => {
    expect(
      problems({
        config: twoPools,
        faults: [
          { at: '100ms', action: 'recycle', pool: 'nope' },
          { after: { event: 'PoolStopped', pool: 'gone' }, action: 'start-pool', pool: 'app' },
        ],
        expect: [{ check: 'queuedRequestsServed', options: { pool: 'nop' } }],
      }),
    ).toEqual([
      { path: 'expect.0.options.pool', message: 'no pool "nop" on w3 (pools: app, api)' },
      { path: 'faults.0.pool', message: 'no pool "nope" on w3 (pools: app, api)' },
      { path: 'faults.1.after.pool', message: 'no pool "gone" on w3 (pools: app, api)' },
    ]);
  });

  it("a target's own problems keep their place in the scenario file; with any, pools are not judged", () => {
    let problemsOfTarget: { path: string; message: string }[] = [];
    registerTarget('lab-fake-settings', () => ({
      name: 'lab-fake-settings',
      checkSettings: () => ({ problems: problemsOfTarget, pools: ['app', 'api'] }),
      setup: () => Promise.reject(new Error('never started')),
    }));
    const sc = { faults: [{ at: '100ms', action: 'recycle', pool: 'nope' }] };
    problemsOfTarget = [
      { path: 'config', message: 'a' },
      { path: 'config.pools.0', message: 'b' },
      { path: 'workers', message: 'c' },
      { path: '', message: 'd' },
      { path: 'configs', message: 'e' },
    ];
    expect(problems(sc, 'lab-fake-settings')).toEqual([
      { path: 'config', message: 'a' },
      { path: 'config.pools.0', message: 'b' },
      { path: 'targets.lab-fake-settings.workers', message: 'c' },
      { path: 'targets.lab-fake-settings', message: 'd' },
      { path: 'targets.lab-fake-settings.configs', message: 'e' },
    ]);
    problemsOfTarget = [];
    expect(problems(sc, 'lab-fake-settings')).toEqual([
      { path: 'faults.0.pool', message: 'no pool "nope" on lab-fake-settings (pools: app, api)' },
    ]);
  });
});

describe('targets and pools', () => {
  it('an expectation meant for another target is not judged on this one (its target names still are)', () => {
    const sc = { expect: [{ check: 'noFailedRequests', targets: ['nginx'], options: { phase: 'lod' } }] };
    expect(problems(sc, 'w3')).toEqual([]);
    expect(problems(sc, 'nginx')).toEqual([
      { path: 'expect.0.options.phase', message: 'no workload phase "lod" (phases: load)' },
    ]);
  });

  it('names the pool an `after:` trigger waits on when the target has none of that name', () => {
    expect(problems({ faults: [{ after: { event: 'PoolStopped', pool: 'nope' }, action: 'start-pool' }] })).toEqual([
      { path: 'faults.0.after.pool', message: 'no pool "nope" on w3 (pools: app)' },
    ]);
  });

  it("reports a target's own setting problems under targets.<name>, the settings block itself included", () => {
    const bad = problems({ targets: { 'node-cluster': { workers: 0 } } }, 'node-cluster');
    expect(bad.map((p) => p.path)).toEqual(['targets.node-cluster.workers']);
    const unknownKey = problems({ targets: { 'node-cluster': { wrkers: 2 } } }, 'node-cluster');
    expect(unknownKey.map((p) => p.path)).toEqual(['targets.node-cluster']);
    expect(unknownKey[0]?.message).toMatch(/wrkers/);
  });

  it('still checks the timing and the checks of a scenario the target does not support, not its pools', () => {
    const found = problems(
      {
        requires: ['memoryRecycle'],
        faults: [{ at: '5s', action: 'recycle', pool: 'nope' }],
        expect: [
          { check: 'noFailedRequests', options: { phase: 'lod' } },
          { check: 'queuedRequestsServed', options: { pool: 'nope' } },
        ],
      },
      'node-cluster',
    );
    expect(found.map((p) => p.path)).toEqual(['faults.0', 'expect.0.options.phase']);
  });
});

describe('preflight()', () => {
  it('returns quietly for a scenario with no problem', () => {
    expect(() => preflight(scenario(), FILE, 'w3')).not.toThrow();
  });

  it('throws one error listing every problem, with a stable code and exit code 254', () => {
    let err: unknown;
    try {
      preflight(scenario({ faults: [{ at: '5s', action: 'recycle', pool: 'nope' }] }), FILE, 'w3');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PreflightError);
    const e = err as PreflightError;
    expect({ code: e.code, exitCode: e.exitCode, file: e.file, target: e.target }).toEqual({
      code: 'LAB_ERR_PREFLIGHT',
      exitCode: 254,
      file: FILE,
      target: 'w3',
    });
    expect(e.message).toBe(
      `scenario ${FILE} (target w3): 2 problem(s) found before the run:\n` +
        '  faults.0: fires at 5000 ms, at or after the end of the workload (1000 ms): it would never run\n' +
        '  faults.0.pool: no pool "nope" on w3 (pools: app)',
    );
  });
});
