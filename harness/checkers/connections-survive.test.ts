import { connectionsSurvive } from './connections-survive';
import { RunBuilder } from './test-support/run-builder';

describe('connectionsSurvive', () => {
  it('is valid when an IIS-style listener keeps the sockets open across a worker crash', () => {
    const run = new RunBuilder()
      .event(0, 'WorkerReady', { pool: 'app', workerId: 1, pid: 101 })
      .crash(20_000, 'app', 1, 101)
      .event(20_400, 'WorkerReady', { pool: 'app', workerId: 2, pid: 102 });
    for (let conn = 1; conn <= 4; conn++) run.socket(conn, { requests: 300 });
    const v = connectionsSurvive.check(run.input(), {});
    expect(v.valid).toBe(true);
    expect(v.summary).toBe('All 4 client connections survived.');
    expect(v.details['byCloseKind']).toEqual({ client: 4 });
  });

  it('is false for a node-cluster-like target whose crashing worker takes its keep-alive sockets along', () => {
    const crash = 20_000;
    const run = new RunBuilder().crash(crash, 'app', 1, 101);
    run
      .socket(1, { closeKind: 'server-fin', closed: run.at(crash + 1), closedWithRequestInFlight: true })
      .socket(2, { closeKind: 'reset', closed: run.at(crash + 2), closedWithRequestInFlight: true })
      .socket(3, { closeKind: 'server-fin', closed: run.at(crash + 2) })
      .socket(4);
    const v = connectionsSurvive.check(run.input(), {});
    expect(v.valid).toBe(false);
    expect(v.details['offending']).toBe(3);
    expect(v.details['closedWithRequestInFlight']).toBe(2);
    expect(v.details['examples']).toEqual([
      expect.objectContaining({ conn: 1, closed: crash + 1, why: 'closed with a request in flight' }),
      expect.objectContaining({ conn: 2, closeKind: 'reset' }),
      expect.objectContaining({ conn: 3, why: expect.stringContaining('FIN') }),
    ]);
    expect(v.summary).toMatch(/3 of 4 .*2 with a request in flight/);
  });

  it('counts announced closes as drops unless allowed (review: 50/50 closed with Connection: close passed)', () => {
    const run = new RunBuilder();
    for (let conn = 1; conn <= 50; conn++) run.socket(conn, { closeKind: 'server-close-announced', requests: 1 });
    const v = connectionsSurvive.check(run.input(), {});
    expect(v.valid).toBe(false);
    expect(v.summary).toMatch(/50 of 50 client connections were closed by the server/);
    expect(v.details['examples']).toEqual(
      expect.arrayContaining([expect.objectContaining({ why: 'closed by the server after Connection: close' })]),
    );
    const allowed = connectionsSurvive.check(run.input(), { allowAnnouncedClose: true });
    expect(allowed).toMatchObject({
      valid: true,
      summary:
        'No client connection was dropped ' +
        '(50 sockets; 50 closed after Connection: close, allowed by allowAnnouncedClose).',
    });
    // Allowing it never excuses a close with a request in flight.
    run.socket(51, { closeKind: 'server-close-announced', closedWithRequestInFlight: true });
    expect(connectionsSurvive.check(run.input(), { allowAnnouncedClose: true }).valid).toBe(false);
  });

  it('counts a socket ended after a protocol error as dropped unless allowed (review: never an offence)', () => {
    const run = new RunBuilder()
      .socket(1)
      .socket(2, { closeKind: 'error', errorMessage: 'unexpected bytes after the response' });
    const v = connectionsSurvive.check(run.input(), {});
    expect(v.valid).toBe(false);
    expect(v.details['examples']).toEqual([expect.objectContaining({ conn: 2, why: 'ended after a protocol error' })]);
    expect(connectionsSurvive.check(run.input(), { allowErrorClose: true })).toMatchObject({
      valid: true,
      summary: expect.stringMatching(/1 ended after a protocol error, allowed by allowErrorClose/),
    });
  });

  it('only judges closes inside the window', () => {
    const run = new RunBuilder().mark(10_000, 'phase-start', { phase: 'steady' }).socket(1);
    run.socket(2, { closeKind: 'reset', closed: run.at(5_000) }).socket(3, { closed: undefined, closeKind: undefined });
    expect(connectionsSurvive.check(run.input(), { from: 'phase-start' }).valid).toBe(true);
    expect(connectionsSurvive.check(run.input(), {}).valid).toBe(false);
  });

  it('is unknown when the workload did not track sockets', () => {
    const run = new RunBuilder().load(0, 1_000, 10);
    expect(connectionsSurvive.check(run.input(), { to: 5_000 })).toStrictEqual({
      valid: 'unknown',
      summary: 'No socket records: the workload did not track connections.',
      details: { window: { from: null, to: 5_000 } },
    });
    expect(connectionsSurvive.check(run.input(), { from: 'no-such-mark' })).toMatchObject({
      valid: 'unknown',
      summary: 'Cannot place the window: no mark "no-such-mark" in the history.',
    });
  });

  it('lists offending sockets by close time, each with why, and at most maxExamples of them', () => {
    const run = new RunBuilder();
    run
      .socket(1, { closeKind: 'reset', closed: run.at(3_000), localPort: 40_001, requests: 7 })
      .socket(2, { closeKind: 'server-fin', closed: run.at(1_000), errorMessage: 'other side closed' })
      .socket(3, { closeKind: 'reset', closed: run.at(2_000) });
    const v = connectionsSurvive.check(run.input(), { maxExamples: 2 });
    expect(v.valid).toBe(false);
    expect(v.details['examples']).toStrictEqual([
      {
        conn: 2,
        opened: 0,
        closed: 1_000,
        closeKind: 'server-fin',
        requests: 10,
        why: 'closed by the server (FIN) without Connection: close',
        errorMessage: 'other side closed',
      },
      { conn: 3, opened: 0, closed: 2_000, closeKind: 'reset', requests: 10, why: 'reset' },
    ]);
    const all = connectionsSurvive.check(run.input(), {}).details['examples'] as { conn: number }[];
    expect(all.map((e) => e.conn)).toEqual([2, 3, 1]);
    expect(all[2]).toStrictEqual({
      conn: 1,
      localPort: 40_001,
      opened: 0,
      closed: 3_000,
      closeKind: 'reset',
      requests: 7,
      why: 'reset',
    });
    expect(v.summary).toBe('3 of 3 client connections were closed by the server (0 with a request in flight).');
  });

  it('names an open socket cut with a request in flight after every closed one', () => {
    const run = new RunBuilder();
    run
      .socket(1, { closed: undefined, closeKind: undefined, closedWithRequestInFlight: true })
      .socket(2, { closeKind: 'reset', closed: run.at(1_000) });
    const v = connectionsSurvive.check(run.input(), {});
    expect(v.details['examples']).toStrictEqual([
      { conn: 2, opened: 0, closed: 1_000, closeKind: 'reset', requests: 10, why: 'reset' },
      { conn: 1, opened: 0, closeKind: 'open', requests: 10, why: 'closed with a request in flight' },
    ]);
    expect(v.details['byCloseKind']).toEqual({ open: 1, reset: 1 });
  });

  it('names each kind of allowed close with its own count, and none that did not happen', () => {
    const run = new RunBuilder().socket(1).socket(2).socket(3, { closeKind: 'error' });
    run.socket(4, { closeKind: 'server-close-announced' }).socket(5, { closeKind: 'server-close-announced' });
    const both = { allowAnnouncedClose: true, allowErrorClose: true };
    expect(connectionsSurvive.check(run.input(), both).summary).toBe(
      'No client connection was dropped (5 sockets; 2 closed after Connection: close, allowed by allowAnnouncedClose;' +
        ' 1 ended after a protocol error, allowed by allowErrorClose).',
    );
    const clean = new RunBuilder().socket(1).socket(2);
    expect(connectionsSurvive.check(clean.input(), both).summary).toBe('All 2 client connections survived.');
  });

  it('keeps sockets still open at the end in a window, and drops those closed after its end', () => {
    const run = new RunBuilder();
    run
      .socket(1, { closed: undefined, closeKind: undefined })
      .socket(2, { closeKind: 'reset', closed: run.at(8_000) })
      .socket(3, { closed: run.at(1_000) });
    const v = connectionsSurvive.check(run.input(), { to: 5_000 });
    expect(v.valid).toBe(true);
    expect(v.details).toStrictEqual({
      sockets: 2,
      byCloseKind: { open: 1, client: 1 },
      closedWithRequestInFlight: 0,
      offending: 0,
      examples: [],
      window: { from: null, to: 5_000 },
    });
    const whole = connectionsSurvive.check(run.input(), {});
    expect(whole.details).not.toHaveProperty('window');
    expect(whole.details['sockets']).toBe(3);
  });
});
