import { preflightProblems } from '../runner/preflight';
import { listScenarioFiles, loadScenario } from './load-scenario';
import { isOneOf, SABOTAGES, sabotaged } from './sabotage';

describe('the sabotage table', () => {
  it('has a sabotage for every bundled scenario, and nothing else', () => {
    const names = listScenarioFiles()
      .map((f) => loadScenario(f).name)
      .sort();
    expect([...new Set(SABOTAGES.map((s) => s.scenario))].sort()).toEqual(names);
  });

  it('gives each sabotaged scenario a config the target accepts (a typo would test nothing)', () => {
    for (const file of listScenarioFiles()) {
      const sc = loadScenario(file);
      for (const s of SABOTAGES.filter((x) => x.scenario === sc.name)) {
        const problems = preflightProblems(sabotaged(sc, s), file, s.target);
        expect({ sabotage: s.sabotage, problems }).toEqual({ sabotage: s.sabotage, problems: [] });
      }
    }
  });

  it('names only checks its scenario has', () => {
    for (const file of listScenarioFiles()) {
      const sc = loadScenario(file);
      const checks = sc.expect.map((e) => e.check);
      for (const s of SABOTAGES.filter((x) => x.scenario === sc.name)) {
        const unknown = s.failing.filter((f) => !checks.includes(f));
        expect({ sabotage: s.sabotage, unknown }).toEqual({ sabotage: s.sabotage, unknown: [] });
      }
    }
  });

  it('patches pool "app" in place and host settings beside it', () => {
    const sc = loadScenario(listScenarioFiles().find((f) => f.endsWith('rapid-fail.yaml'))!);
    const s = sabotaged(sc, {
      scenario: 'rapid-fail',
      sabotage: 'x',
      target: 'w3',
      pool: { failure: { rapidFailProtection: false } },
      host: { limits: { maxConnections: 4 } },
      failing: [],
    });
    const pools = s.config['pools'] as Record<string, unknown>[];
    expect(s.name).toBe('rapid-fail-sabotaged');
    expect(pools.map((p) => p['name'])).toEqual(['app', 'other']);
    expect(pools[0]).toMatchObject({
      startMode: 'AlwaysRunning',
      failure: { rapidFailProtectionMaxCrashes: 3, rapidFailProtectionInterval: '30s', rapidFailProtection: false },
    });
    expect(pools[1]).not.toHaveProperty('failure.rapidFailProtection');
    expect(s.config['limits']).toEqual({ maxConnections: 4 });
    expect(sc.config['limits']).toBeUndefined(); // the original is untouched
  });

  it('matches a check by name or by its distinct label, not by prefix', () => {
    expect(isOneOf('noFailedRequests[from=2500]', ['noFailedRequests'])).toBe(true);
    expect(isOneOf('noFailedRequests', ['noFailedRequests'])).toBe(true);
    expect(isOneOf('noFailedRequestsX', ['noFailedRequests'])).toBe(false);
    expect(isOneOf('eventsSeen[type=IdleShutdown]', ['connectionsSurvive'])).toBe(false);
  });
});
