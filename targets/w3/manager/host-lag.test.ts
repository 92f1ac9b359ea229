// The host's lateness (host-lag.ts): a heartbeat that runs late says for how long the host's loop did not run. Jest's
// fake clock drives it: jest.setSystemTime moves the time without running any timer — the host stopped — and
// jest.advanceTimersByTime moves it while the loop runs its timers on time.
import { HOST_BEAT_MS, HOST_LAG_IDLE_MS, HOST_LAG_SPANS, HOST_LATE_MIN_MS, HostLag } from './host-lag';

const T0 = 1_000_000;
beforeEach(() => jest.useFakeTimers({ now: T0 }));
afterEach(() => jest.useRealTimers());

/** The host's loop does not run for `ms` (no timer fires), then runs again. */
const stopHost = (ms: number) => jest.setSystemTime(Date.now() + ms);

describe('HostLag', () => {
  it('counts nothing while the loop runs its timers on time', () => {
    const lag = new HostLag();
    lag.watch(T0);
    jest.advanceTimersByTime(500);
    expect(lag.lateMs(T0, Date.now())).toBe(0);
    lag.stop();
  });

  it('counts the time a beat is overdue, before it has run and once it ran', () => {
    const lag = new HostLag();
    lag.watch(T0);
    jest.advanceTimersByTime(HOST_BEAT_MS); // one beat on time
    stopHost(300);
    // The beat was due at T0 + 2 beats; the loop is 300 - HOST_BEAT_MS late now, before it runs the beat.
    expect(lag.lateMs(T0, Date.now())).toBe(300 - HOST_BEAT_MS);
    jest.advanceTimersByTime(HOST_BEAT_MS); // the loop runs again: the late beat runs
    expect(lag.lateMs(T0, Date.now())).toBe(300);
    lag.stop();
  });

  it('counts only the part of a late span after `since`, and nothing from spans that ended by then', () => {
    const lag = new HostLag();
    lag.watch(T0);
    stopHost(100); // late over [T0 + HOST_BEAT_MS, T0 + 100 + HOST_BEAT_MS]
    jest.advanceTimersByTime(HOST_BEAT_MS);
    const end = T0 + 100 + HOST_BEAT_MS;
    jest.advanceTimersByTime(HOST_BEAT_MS * 3);
    const now = Date.now();
    expect(lag.lateMs(T0, now)).toBe(100);
    expect(lag.lateMs(end - 40, now)).toBe(40);
    expect(lag.lateMs(end - 1, now)).toBe(1);
    expect(lag.lateMs(end, now)).toBe(0);
    expect(lag.lateMs(end + 5, now)).toBe(0); // a span that ended before `since` takes nothing off either
    lag.stop();
  });

  it('adds up several late spans', () => {
    const lag = new HostLag();
    lag.watch(T0);
    for (const ms of [30, 50, 70]) {
      stopHost(ms);
      jest.advanceTimersByTime(HOST_BEAT_MS * 2);
    }
    expect(lag.lateMs(T0, Date.now())).toBe(150);
    lag.stop();
  });

  it('counts an overdue beat only within (since, now]: a request that began during the stop', () => {
    const lag = new HostLag();
    lag.watch(T0);
    stopHost(200);
    const now = Date.now();
    expect(lag.lateMs(now - 30, now)).toBe(30);
    expect(lag.lateMs(now, now)).toBe(0);
    lag.stop();
  });

  it('takes a beat late by HOST_LATE_MIN_MS or less for timer granularity, later ones for a stop', () => {
    const lag = new HostLag();
    lag.watch(T0);
    stopHost(HOST_LATE_MIN_MS);
    jest.advanceTimersByTime(HOST_BEAT_MS);
    expect(lag.lateMs(T0, Date.now())).toBe(0);
    stopHost(HOST_LATE_MIN_MS + 1);
    jest.advanceTimersByTime(HOST_BEAT_MS);
    expect(lag.lateMs(T0, Date.now())).toBe(HOST_LATE_MIN_MS + 1);
    lag.stop();
  });

  it('keeps the last HOST_LAG_SPANS late spans', () => {
    const lag = new HostLag();
    lag.watch(T0);
    for (let i = 0; i < HOST_LAG_SPANS + 1; i++) {
      stopHost(i === 0 ? 1_000 : 5); // the first, longest, is forgotten
      jest.advanceTimersByTime(HOST_BEAT_MS);
      lag.watch(Date.now());
    }
    expect(lag.lateMs(T0, Date.now())).toBe(HOST_LAG_SPANS * 5);
    lag.stop();
  });

  it('starts on the first watch, runs while watched, stops HOST_LAG_IDLE_MS after the last one', () => {
    const lag = new HostLag();
    expect(lag.running).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
    lag.watch(Date.now());
    expect(lag.running).toBe(true);
    lag.watch(Date.now()); // no second timer
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(HOST_LAG_IDLE_MS / 2);
    lag.watch(Date.now());
    jest.advanceTimersByTime(HOST_LAG_IDLE_MS);
    expect(lag.running).toBe(true);
    jest.advanceTimersByTime(HOST_BEAT_MS * 2);
    expect(lag.running).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not keep the process alive (its timer is unref-ed)', () => {
    jest.useRealTimers();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const lag = new HostLag();
    lag.watch(Date.now());
    expect(lag.running).toBe(true);
    expect(timers()).toBe(before);
    lag.stop();
  });

  it('stopped, it counts no overdue beat; started again, it measures from then', () => {
    const lag = new HostLag();
    lag.watch(T0);
    lag.stop();
    lag.stop(); // idempotent
    stopHost(500);
    expect(lag.lateMs(T0, Date.now())).toBe(0);
    lag.watch(Date.now());
    jest.advanceTimersByTime(HOST_BEAT_MS);
    expect(lag.lateMs(T0, Date.now())).toBe(0);
    lag.stop();
  });
});
