// What a target is given from a scenario: relative application module paths resolved against the scenario file's
// folder (the target writes its config elsewhere), everything else as written, plus that target's own settings block.
import path from 'node:path';
import { parseScenario } from '../scenarios/load-scenario';
import { targetSettings } from './target-settings';

const scenario = (config: Record<string, unknown>, targets: Record<string, Record<string, unknown>> = {}) =>
  parseScenario(
    {
      name: 's',
      config,
      targets,
      workload: [{ name: 'load', duration: 1000 }],
      expect: [{ check: 'noFailedRequests' }],
    },
    'inline',
  );

test('relative module paths resolve against the scenario folder; bare names, absolute paths and the rest stay', () => {
  const apps = [
    { name: 'a', module: './apps/a.js', pool: 'app' },
    { name: 'b', module: '../common/b.js' },
    { name: 'c', module: 'some-package' },
    { name: 'd', module: '/abs/d.js' },
    { name: 'e', module: 'pkg-ending-like-a-path/./' },
    { name: 'f', module: 42 },
    { name: 'g' },
  ];
  const sc = scenario({ host: { port: 0 }, applications: apps });
  expect(targetSettings(sc, '/labs/scenarios/x.yaml', 'w3')).toEqual({
    config: {
      host: { port: 0 },
      applications: [
        { name: 'a', module: '/labs/scenarios/apps/a.js', pool: 'app' },
        { name: 'b', module: '/labs/common/b.js' },
        { name: 'c', module: 'some-package' },
        { name: 'd', module: '/abs/d.js' },
        { name: 'e', module: 'pkg-ending-like-a-path/./' },
        { name: 'f', module: 42 },
        { name: 'g' },
      ],
    },
  });
  // The scenario itself is not changed.
  expect(sc.config['applications']).toEqual(apps);
  // A relative scenario file resolves from the current folder.
  const rel = targetSettings(sc, 'x.yaml', 'w3').config as { applications: { module: unknown }[] };
  expect(rel.applications[0]!.module).toBe(path.resolve('apps/a.js'));
});

test("a config without an applications list is passed as is; the target's own block is added, no other's", () => {
  const config = { host: { port: 0 }, applications: 'not a list' };
  const sc = scenario(config, { 'node-cluster': { workers: 3 }, pm2: { instances: 2 } });
  const got = targetSettings(sc, '/x/s.yaml', 'node-cluster');
  expect(got).toEqual({ config, workers: 3 });
  expect(got['config']).toBe(sc.config);
  expect(targetSettings(sc, '/x/s.yaml', 'w3')).toEqual({ config });
});
