import { connectionsSurvive } from './connections-survive';
import { RunBuilder } from './test-support/run-builder';

describe('connectionsSurvive', () => {
  it('is valid when an IIS-style listener keeps the sockets open across a worker crash', () => {
    const run = new RunBuilder()
      .event(0, 'WorkerReady', { pool: 'app', workerId: 1, pid: 101 })
      .crash(20_000, 'app', 1, 101)
      .event(20_400, 'WorkerReady', { pool: 'app', workerId: 2, pid: 102 });
    for (let conn = 1; conn <= 4; conn++) run.socket(conn, { requests: 300 });
    // One response carried Connection: close; the client honoured it and the server closed: orderly.
    run.socket(5, { closeKind: 'server-close-announced', closed: run.at(30_000), requests: 12 });
    const v = connectionsSurvive.check(run.input(), {});
    expect(v.valid).toBe(true);
    expect(v.details['byCloseKind']).toEqual({ client: 4, 'server-close-announced': 1 });
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

  it('treats an announced close as an offence when allowAnnouncedClose is false', () => {
    const run = new RunBuilder().socket(1).socket(2, { closeKind: 'server-close-announced' });
    expect(connectionsSurvive.check(run.input(), { allowAnnouncedClose: false }).valid).toBe(false);
  });

  it('only judges closes inside the window', () => {
    const run = new RunBuilder().mark(10_000, 'phase-start', { phase: 'steady' }).socket(1);
    run.socket(2, { closeKind: 'reset', closed: run.at(5_000) }).socket(3, { closed: undefined, closeKind: undefined });
    expect(connectionsSurvive.check(run.input(), { from: 'phase-start' }).valid).toBe(true);
    expect(connectionsSurvive.check(run.input(), {}).valid).toBe(false);
  });

  it('is unknown when the workload did not track sockets', () => {
    const run = new RunBuilder().load(0, 1_000, 10);
    const v = connectionsSurvive.check(run.input(), {});
    expect(v.valid).toBe('unknown');
    expect(connectionsSurvive.check(run.input(), { from: 'no-such-mark' }).valid).toBe('unknown');
  });
});
