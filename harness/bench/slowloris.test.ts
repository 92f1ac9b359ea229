import {
  attackProblems,
  fdLauncher,
  FDS_NEEDED,
  slowlorisPairs,
  slowlorisSequence,
  SOCKETS,
  type SlowlorisRun,
} from './slowloris';

const healthy = (p99: number, p50 = 1, rpsMean = 1000) => ({
  rpsMean,
  requests: 0,
  latencyMs: { p50, p99, max: p99, mean: p50 },
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  loadavgBefore: [],
  loadavgAfter: [],
});

describe('slowlorisSequence', () => {
  it('puts every attack run between two runs without it', () => {
    expect(slowlorisSequence(1)).toEqual(['alone', 'attack', 'alone']);
    expect(slowlorisSequence(2)).toEqual(['alone', 'attack', 'alone', 'attack', 'alone']);
  });
});

describe('slowlorisPairs', () => {
  it('pairs each attack run with the alone runs before and after it', () => {
    const runs = [
      { seq: 1, phase: 'alone' as const, healthy: healthy(4) },
      { seq: 2, phase: 'attack' as const, healthy: healthy(6) },
      { seq: 3, phase: 'alone' as const, healthy: healthy(3) },
    ];
    expect(slowlorisPairs(runs).map((p) => [p.order, p.aloneSeq, p.attackSeq, p.p99])).toEqual([
      ['alone-first', 1, 2, 1.5],
      ['attack-first', 3, 2, 2],
    ]);
  });
});

describe('attackProblems', () => {
  const TIMER = 20_000;
  const run = (done: Partial<NonNullable<NonNullable<SlowlorisRun['attack']>['done']>> | null): SlowlorisRun => ({
    seq: 2,
    phase: 'attack',
    healthy: healthy(5),
    hostFds: { before: 30, end: 1030 },
    attack: {
      opened: { sockets: SOCKETS, failed: 0, stillOpen: SOCKETS, ms: 500, at: 1000 },
      measuredUntil: 15_000,
      done:
        done === null
          ? null
          : {
              opened: SOCKETS,
              failed: 0,
              cutByServer: SOCKETS,
              endedByAttacker: 0,
              heldMs: { min: 20_100, median: 20_500, max: 21_000 },
              firstCutAt: 21_000,
              lastCutAt: 22_000,
              answered: 0,
              ...done,
            },
    },
  });

  it('accepts an attack held throughout the measurement and then cut by the timer', () => {
    expect(attackProblems(run({}), TIMER)).toEqual([]);
  });

  it('names an attack cut during the measurement, cut early, or ended by the attacker', () => {
    expect(attackProblems(run({ firstCutAt: 14_000 }), TIMER)).toEqual([
      'slowloris run 2: w3 closed an attack socket before the measurement ended (the attack was not held)',
    ]);
    expect(attackProblems(run({ heldMs: { min: 5000, median: 20_000, max: 21_000 } }), TIMER)).toEqual([
      'slowloris run 2: an attack socket was cut after 5000 ms, before the 20000 ms timer',
    ]);
    expect(attackProblems(run({ cutByServer: 990, endedByAttacker: 10 }), TIMER)).toEqual([
      'slowloris run 2: only 990/1000 attack sockets were cut by w3 (the rest by the attacker)',
    ]);
    expect(attackProblems(run(null), TIMER)).toEqual([
      'slowloris run 2: the attacker never reported how its sockets ended',
    ]);
  });
});

describe('fdLauncher', () => {
  it('runs w3 and the attacker under prlimit only when the open-file limit is too low', () => {
    expect(fdLauncher(null)).toBeUndefined();
    expect(fdLauncher(FDS_NEEDED)).toBeUndefined();
    expect(fdLauncher(1024)?.prefix).toEqual(['prlimit', `--nofile=${FDS_NEEDED}:${FDS_NEEDED}`, '--']);
  });
});
