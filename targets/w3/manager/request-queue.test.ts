// The pool's request queue on Jest's clock: one timer for the whole queue, armed for the earliest deadline, never
// left running when there is nothing to time (no spinning, no duplicate timers), deadlines recomputed on reload,
// and a queue timer switched off between arming and firing expires nothing.
import { RequestQueue } from './request-queue';
import { job } from './test-support/pool-harness';
import type { PoolJob } from './pool-job';

beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

function queue(limit: { ms: number }) {
  const expired: PoolJob[] = [];
  const q = new RequestQueue(
    () => limit.ms,
    (j) => expired.push(j),
  );
  return { q, expired };
}

describe('RequestQueue', () => {
  it('remove says whether the job was queued', () => {
    const { q } = queue({ ms: 0 });
    const [a, b] = [job(), job()];
    q.push(a);
    expect(q.remove(b)).toBe(false);
    expect(q.remove(a)).toBe(true);
    expect(q.length).toBe(0);
  });

  it('arms for the earliest deadline even when a later job was queued first in time order of arming', () => {
    const limit = { ms: 2000 };
    const { q, expired } = queue(limit);
    const [a, b] = [job(), job()];
    q.push(a);
    jest.advanceTimersByTime(500);
    q.push(b);
    jest.advanceTimersByTime(100);
    q.reconfigure(); // re-arms from the deadlines: a's is the earliest
    jest.advanceTimersByTime(1399);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([a]);
    jest.advanceTimersByTime(500);
    expect(expired).toEqual([a, b]);
  });

  it('reconfigure applies a new timeout to jobs already waiting', () => {
    const limit = { ms: 2000 };
    const { q, expired } = queue(limit);
    const a = job();
    q.push(a);
    limit.ms = 500;
    q.reconfigure();
    jest.advanceTimersByTime(500);
    expect(expired).toEqual([a]);
  });

  it('one timer at a time, and none once the queue is empty (no spinning)', () => {
    const { q, expired } = queue({ ms: 1000 });
    q.push(job());
    q.push(job());
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(expired).toHaveLength(2);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('takeAll stops the timer', () => {
    const { q } = queue({ ms: 1000 });
    q.push(job());
    expect(q.takeAll()).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a job that left the queue does not pull the timer earlier', () => {
    const { q, expired } = queue({ ms: 1000 });
    const [a, b] = [job(), job()];
    q.push(a);
    jest.advanceTimersByTime(600);
    q.push(b);
    expect(q.shift()).toBe(a);
    const spy = jest.spyOn(global, 'setTimeout');
    jest.advanceTimersByTime(999);
    // One re-arm for b when a's old deadline passes, not a 1 ms loop on a's forgotten start.
    expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
    spy.mockRestore();
    jest.advanceTimersByTime(1);
    expect(expired).toEqual([b]);
  });

  it('a queue timer switched off before it fires expires nothing', () => {
    const limit = { ms: 1000 };
    const { q, expired } = queue(limit);
    q.push(job());
    limit.ms = 0;
    jest.advanceTimersByTime(5000);
    expect(expired).toEqual([]);
    expect(q.length).toBe(1);
  });
});
