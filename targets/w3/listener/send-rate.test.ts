import { startSend, recordSend, sendExpired, type SendRateTracked } from './send-rate';

function tracked(backlog: () => number): SendRateTracked {
  return { sendDeadline: 0, sendTotal: 0, sendHanded: 0, sendBacklog: backlog, onSendRateExpired: () => undefined };
}

describe('minimum send rate', () => {
  const rate = 1000; // bytes per second

  it('allows a known-size response (head + Content-Length) / rate from its start', () => {
    let backlog = 0;
    const t = tracked(() => backlog);
    startSend(t, 100, 9900, 0, rate);
    expect(t.sendDeadline).toBe(10_000);
    recordSend(t, 5000, 0, 10, rate); // caught up: deadline stays (the rest is still owed from the start)
    backlog = 4000; // the client stopped reading
    recordSend(t, 4900, backlog, 20, rate); // behind: no extension for a known size
    expect(t.sendDeadline).toBe(10_000);
    expect(sendExpired(t, 9_999)).toBe(false);
    expect(sendExpired(t, 10_001)).toBe(true);
  });

  it('never expires while nothing waits for the client (the worker is the slow one)', () => {
    const t = tracked(() => 0);
    startSend(t, 100, 900, 0, rate);
    expect(sendExpired(t, 60_000)).toBe(false);
  });

  it('rebases on the bytes still owed when a chunk arrives after the worker was slow', () => {
    const t = tracked(() => 0);
    startSend(t, 0, 10_000, 0, rate);
    recordSend(t, 1000, 0, 30_000, rate); // 30 s later, caught up: 10 000 bytes still owed from now
    expect(t.sendDeadline).toBe(40_000);
  });

  it('gives each chunk of an unknown-size response its own size/rate while behind', () => {
    const t = tracked(() => 1);
    startSend(t, 100, null, 0, rate);
    expect(t.sendDeadline).toBe(100);
    recordSend(t, 1000, 0, 50, rate); // caught up: 50 + 1000 ms
    expect(t.sendDeadline).toBe(1050);
    recordSend(t, 500, 10, 60, rate); // behind: + 500 ms
    expect(t.sendDeadline).toBe(1550);
    expect(t.sendTotal).toBe(1600);
  });
});
