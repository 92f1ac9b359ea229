import { cpuTicksFromStat, machineBusyFromProcStat, statFields, startCpuWindow } from './cpu-usage';

// A /proc/<pid>/stat line whose command name holds spaces and a parenthesis.
const STAT = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 11 0 12345 0 0';

describe('cpu-usage', () => {
  it('reads utime+stime after the command name, optionally with the reaped children', () => {
    expect(statFields(STAT)[0]).toBe('S');
    expect(cpuTicksFromStat(STAT)).toBe(300);
    expect(cpuTicksFromStat(STAT, true)).toBe(310);
  });

  it('counts user, nice, system, irq, softirq and steal as busy, not idle or iowait', () => {
    const ms = machineBusyFromProcStat('cpu  100 1 50 9999 77 2 3 4 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n');
    // (100+1+50+2+3+4) ticks at USER_HZ (100 here) = 1600 ms.
    expect(ms).toBe(1600);
  });

  it('measures this process over a window in which it burns CPU', () => {
    const end = startCpuWindow({ front: [process.pid], back: [] });
    const t = Date.now();
    let x = 0;
    while (Date.now() - t < 300) x += Math.sqrt(x + 1);
    const w = end();
    expect(x).toBeGreaterThan(0);
    expect(w.wallMs).toBeGreaterThanOrEqual(300);
    // Busy-looping for 300 ms: at least some of it is on the CPU even on a loaded machine.
    expect(w.frontMs).toBeGreaterThan(0);
    expect(w.backMs).toBe(0);
  });
});
