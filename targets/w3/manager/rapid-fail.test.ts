import { RapidFailWindow } from './rapid-fail';

describe('RapidFailWindow (sliding window)', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('trips exactly at the Nth failure inside the window', () => {
    const w = new RapidFailWindow(true, 5, 300_000, clock);
    for (let i = 1; i <= 4; i++) {
      now += 10_000;
      expect(w.record('crash')).toBe(false);
    }
    now += 10_000;
    expect(w.record('ping')).toBe(true);
    expect(w.count()).toBe(5);
  });

  it('never trips when the same failures are spread wider than the window', () => {
    const w = new RapidFailWindow(true, 5, 300_000, clock);
    for (let i = 0; i < 50; i++) {
      now += 75_001; // 4 failures span 225 s; the 5th arrives after the 1st left the window
      expect(w.record('crash')).toBe(false);
    }
    expect(w.count()).toBe(4);
  });

  it('slides: old failures leave the window', () => {
    const w = new RapidFailWindow(true, 3, 1000, clock);
    w.record('crash');
    now += 600;
    w.record('crash');
    now += 600; // first one is now 1200 ms old
    expect(w.record('crash')).toBe(false);
    now += 100;
    expect(w.record('crash')).toBe(true);
  });

  it('counts but never trips when disabled', () => {
    const w = new RapidFailWindow(false, 1, 1000, clock);
    expect(w.record('crash')).toBe(false);
    expect(w.count()).toBe(1);
  });

  it('reset clears the count (admin start)', () => {
    const w = new RapidFailWindow(true, 2, 1000, clock);
    w.record('crash');
    w.reset();
    expect(w.record('crash')).toBe(false);
  });

  it('a reload with a smaller maximum judges the failures already recorded', () => {
    const w = new RapidFailWindow(true, 5, 300_000, clock);
    w.record('crash');
    now += 1000;
    w.record('crash');
    w.configure(true, 3, 300_000);
    now += 1000;
    expect(w.record('startup-timeout')).toBe(true);
    w.configure(false, 3, 300_000);
    expect(w.record('crash')).toBe(false);
  });

  it('a failure exactly one interval old has left the window (the rule the lab checker shares)', () => {
    const at = (gap: number): boolean => {
      let t = 0;
      const w = new RapidFailWindow(true, 2, 10_000, () => t);
      w.record('crash');
      t = gap;
      return w.record('crash');
    };
    expect(at(9_999)).toBe(true);
    expect(at(10_000)).toBe(false);
  });
});
