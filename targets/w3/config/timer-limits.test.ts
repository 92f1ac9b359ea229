// Every duration that runs a timer is bounded by what a Node timer holds (2^31 - 1 ms): a longer one would fire
// after 1 ms (startupTimeLimit "25d" used to kill every worker at once and rapid-fail-stop the pool).
import { parseConfig } from './index';
import { MAX_TIMER_MS } from './duration';
import { issuesOf as issuesIn, makeFixtureDir, minimal, removeFixtureDir } from './test-support/fixtures';

let dir: string;
beforeAll(() => {
  dir = makeFixtureDir();
});
afterAll(() => {
  removeFixtureDir(dir);
});

const POOL_TIMERS = [
  'pingInterval',
  'pingResponseTime',
  'startupTimeLimit',
  'shutdownTimeLimit',
  'requestProgressTimeout',
];

function withPool(processModel: Record<string, unknown>): Record<string, unknown> {
  return { ...minimal(), pools: [{ name: 'app', processModel }] };
}

describe('timer durations', () => {
  it.each(POOL_TIMERS)('processModel.%s: "25d" is rejected naming the setting and the limit', (key) => {
    expect(issuesIn(withPool({ [key]: '25d' }), dir)).toEqual([
      {
        path: `pools.0.processModel.${key}`,
        message:
          `too long: 2160000000 ms is more than ${MAX_TIMER_MS} ms (about 24.8 days), ` +
          'the longest timer w3 can hold',
      },
    ]);
  });

  it.each(POOL_TIMERS)('processModel.%s: exactly the limit is accepted', (key) => {
    const cfg = parseConfig(withPool({ [key]: MAX_TIMER_MS }), { baseDir: dir });
    expect((cfg.pools[0]!.processModel as unknown as Record<string, number>)[key]).toBe(MAX_TIMER_MS);
  });

  it('timers.requestQueueTimeout (the pool queue timer) is bounded the same way', () => {
    const issues = issuesIn({ ...minimal(), timers: { requestQueueTimeout: '30d' } }, dir);
    expect(issues.map((i) => i.path)).toEqual(['timers.requestQueueTimeout']);
    expect(issues[0]!.message).toMatch(/the longest timer w3 can hold/);
  });

  it('durations that are only compared, never armed as timers, may be longer (periodicRestart.time "30d")', () => {
    const cfg = parseConfig(
      { ...minimal(), pools: [{ name: 'app', recycling: { periodicRestart: { time: '30d' } } }] },
      { baseDir: dir },
    );
    expect(cfg.pools[0]!.recycling.periodicRestart.time).toBe(30 * 86_400_000);
  });
});
