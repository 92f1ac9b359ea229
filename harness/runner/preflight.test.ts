// Preflight: the review's examples of mistakes found only after a run started (or never), each now a problem named
// by its path in the scenario file before anything starts; the bundled scenarios pass it on every target.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../targets/w3/util/compiled-path';
import { listScenarioFiles, loadScenario, parseScenario } from '../scenarios/load-scenario';
import { targetNames } from '../targets/registry';
import { firingTimes, PreflightError, preflight, preflightProblems } from './preflight';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-preflight-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const FILE = path.join(dir, 'my-scenario.yaml');

function scenario(extra: Record<string, unknown> = {}) {
  return parseScenario(
    { name: 'probe', workload: [{ name: 'load', duration: '1s' }], expect: [{ check: 'noFailedRequests' }], ...extra },
    FILE,
  );
}
const problems = (extra: Record<string, unknown>, target = 'w3') => preflightProblems(scenario(extra), FILE, target);

describe('preflight', () => {
  it('passes every bundled scenario on every target', () => {
    for (const file of listScenarioFiles()) {
      for (const target of targetNames())
        expect({ file, target, problems: preflightProblems(loadScenario(file), file, target) }).toMatchObject({
          problems: [],
        });
    }
  });

  it("checks the config block against w3's schema, paths as in the scenario (review: found late, in w3.json)", () => {
    const found = problems({
      config: {
        pools: [
          { name: 'app', processModel: { pingInterval: '3x' }, recycling: { periodicRestart: { privateMemroy: 1 } } },
        ],
      },
    });
    const byPath = Object.fromEntries(found.map((p) => [p.path, p.message]));
    expect(byPath['config.pools.0.processModel.pingInterval']).toMatch(/3x/);
    expect(byPath['config.pools.0.recycling.periodicRestart.privateMemroy']).toMatch(/did you mean "privateMemory"/);
    // A module path is relative to the scenario file, and must exist.
    const missing = problems({ config: { applications: [{ path: '/', pool: 'app', module: './no-such-app.js' }] } });
    expect(missing).toEqual([
      { path: 'config.applications.0.module', message: expect.stringContaining(path.join(dir, 'no-such-app.js')) },
    ]);
    const err = (() => {
      try {
        preflight(scenario({ config: { pools: [{ name: 'app', processModel: { pingInterval: '3x' } }] } }), FILE, 'w3');
      } catch (e) {
        return e as PreflightError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(PreflightError);
    expect(err!.exitCode).toBe(254);
    expect(err!.message).toContain(`scenario ${FILE}`);
    expect(err!.message).toContain('config.pools.0.processModel.pingInterval');
    expect(err!.message).not.toContain('w3.json');
  });

  it('names an unknown target', () => {
    expect(problems({}, 'lighttpd')).toEqual([
      { path: 'target', message: expect.stringMatching(/unknown target "lighttpd"/) },
    ]);
  });

  it('names a pool that fault steps or checks use but the target does not have (review: a typo gave PASS)', () => {
    const found = problems({
      faults: [
        { at: '300ms', action: 'signal', signal: 'SIGKILL', pool: 'nope' },
        { at: '400ms', action: 'recycle', pool: 'nope' },
      ],
      expect: [{ check: 'queuedRequestsServed', options: { pool: 'nope' } }],
    });
    expect(found.map((p) => p.path)).toEqual(['expect.0.options.pool', 'faults.0.pool', 'faults.1.pool']);
    expect(found[1]!.message).toBe('no pool "nope" on w3 (pools: app)');
    // node-cluster has a single pool named by its settings.
    expect(
      problems(
        { faults: [{ at: '300ms', action: 'signal', pool: 'app' }], targets: { 'node-cluster': { pool: 'web' } } },
        'node-cluster',
      ),
    ).toEqual([{ path: 'faults.0.pool', message: 'no pool "app" on node-cluster (pools: web)' }]);
  });

  it('names a step scheduled at or after the end of the workload (review: silently dropped, PASS)', () => {
    expect(problems({ faults: [{ at: '5s', action: 'recycle' }] })).toEqual([
      {
        path: 'faults.0',
        message: 'fires at 5000 ms, at or after the end of the workload (1000 ms): it would never run',
      },
    ]);
    expect(problems({ faults: [{ at: '1s', action: 'recycle' }] })).toHaveLength(1); // exactly at the end: never runs
    expect(problems({ faults: [{ at: '999ms', action: 'recycle' }] })).toEqual([]);
    const every = problems({ faults: [{ every: '400ms', times: 3, action: 'recycle' }] });
    expect(every).toEqual([{ path: 'faults.0', message: expect.stringMatching(/^fires at 1200 ms/) }]);
    expect(
      firingTimes(
        scenario({ faults: [{ every: '200ms', from: '100ms', until: '500ms', action: 'recycle' }] }).faults[0]!,
      ),
    ).toEqual([100, 300, 500]);
  });

  it('names a misspelled phase, mark or event (review: "No requests in the window" instead of "no phase lod")', () => {
    const found = problems({
      faults: [{ after: { event: 'PoolStoped' }, action: 'start-pool' }],
      expect: [
        { check: 'noFailedRequests', options: { phase: 'lod' } },
        { check: 'noFailedRequests', options: { from: 'pool-startd+1000' } },
        { check: 'noFailedRequests', options: { from: 'pool-started+1000', to: 'end' } },
      ],
    });
    expect(found).toEqual([
      {
        path: 'faults.0.after.event',
        message: expect.stringMatching(/^no event type "PoolStoped" \(known: .*PoolStopped/),
      },
      { path: 'expect.0.options.phase', message: 'no workload phase "lod" (phases: load)' },
      { path: 'expect.1.options.from', message: expect.stringMatching(/^no mark "pool-startd" is ever written/) },
    ]);
  });

  it('names unknown targets in an expectation filter', () => {
    expect(problems({ expect: [{ check: 'noFailedRequests', targets: ['ngnix'] }] })).toEqual([
      { path: 'expect.0.targets', message: expect.stringMatching(/unknown target "ngnix"/) },
    ]);
  });

  it('judges no pools or settings of a target that does not support the scenario (that run is "not supported")', () => {
    const sc = loadScenario(path.join(repoRoot(), 'harness', 'scenarios', 'rapid-fail.yaml'));
    expect(preflightProblems(sc, 'rapid-fail.yaml', 'node-cluster')).toEqual([]);
  });
});

describe('w3lab run with a scenario that fails preflight', () => {
  it('exits 254 before any results folder is made, listing every problem with its path', () => {
    fs.writeFileSync(
      FILE,
      [
        'name: bad-one',
        'config:',
        '  pools:',
        '    - { name: app, processModel: { pingInterval: 3x } }',
        'workload:',
        '  - { name: load, duration: 1s }',
        'faults:',
        '  - { at: 5s, action: signal, signal: SIGKILL, pool: nope }',
        'expect:',
        '  - { check: noFailedRequests, options: { phase: lod } }',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'out');
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'w3lab.js'), 'run', FILE, '--out', out], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 254 });
    expect(r.stderr).toContain(`scenario ${FILE}`);
    for (const p of ['config.pools.0.processModel.pingInterval', 'faults.0:', 'expect.0.options.phase'])
      expect(r.stderr).toContain(p);
    expect(fs.existsSync(out)).toBe(false);
  });
});
