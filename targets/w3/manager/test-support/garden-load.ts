// Test support for the web-garden dispatch tests (app-pool-affinity.test.ts, dispatch-pack.test.ts): keep-alive
// client connections as the framed listener makes them, a two-worker garden of fake workers, the fake clock, and a
// model of sustained load as wrk makes it.
import { PoolHarness, job, type FakeJob, type FakeWorker } from './pool-harness';
import type { HostLag } from '../host-lag';

/** A keep-alive client connection: like FramedConnection, the worker it last ran on is the one it prefers. */
export function connection(): FakeJob {
  const j = job();
  j.prefer = null;
  const run = j.run.bind(j);
  j.run = (w) => {
    run(w);
    j.prefer = w;
  };
  return j;
}

export function garden(processModel: Record<string, unknown> = {}, opts: { hostLag?: HostLag } = {}): PoolHarness {
  return new PoolHarness(
    {
      startMode: 'AlwaysRunning',
      processModel: { maxProcesses: 2, ...processModel },
    },
    opts,
  ).bootReady();
}

/** Moves the clock without firing timers (the pool's ping timers would make the fakes overdue). */
export function later(ms: number): void {
  jest.setSystemTime(Date.now() + ms);
}

export interface SustainedLoad {
  conns: number;
  steps: number;
  stepMs: number;
  /** Each worker answers up to 8 × its speed requests per step. */
  speed: [number, number];
  limit: number;
  /** The workers' CPU share, as health.ts would sample it (default: not known). */
  cpu?: [number | null, number | null];
  /** processModel.webGardenDispatch (default: the pool's default, spread). */
  dispatch?: 'spread' | 'pack';
}

/**
 * Sustained load as wrk makes it: `conns` connections each keep one request in the pool. Every step (stepMs of
 * clock) each worker answers a batch of its oldest requests (up to 8 × its speed), and the connections answered,
 * shuffled together, send their next requests at once — one event-loop turn of the listener. Returns what each worker
 * served, how often a connection changed worker, the most requests a worker ever had in flight, and how many
 * requests were left in the queue.
 */
export function sustained(opts: SustainedLoad) {
  const h = garden({
    maxConcurrentRequestsPerWorker: opts.limit,
    ...(opts.dispatch ? { webGardenDispatch: opts.dispatch } : {}),
  });
  const workers = [h.worker(0), h.worker(1)];
  workers.forEach((w, i) => (w.cpuShare = opts.cpu?.[i] ?? null));
  const running = new Map<FakeWorker, FakeJob[]>(workers.map((w) => [w, []]));
  const conns = Array.from({ length: opts.conns }, () => connection());
  const runs = new Map<FakeJob, number>(conns.map((c) => [c, 0]));
  const served = [0, 0];
  let moves = 0;
  let maxInFlight = 0;
  // Jobs dispatched since the last look (at submit, or from the queue by jobDone) join their worker's list.
  const collect = (): void => {
    for (const c of conns) {
      if (c.ranOn.length === runs.get(c)) continue;
      runs.set(c, c.ranOn.length);
      const w = c.ranOn.at(-1)!;
      if (c.ranOn.length > 1 && c.ranOn.at(-2) !== w) moves++;
      running.get(w)!.push(c);
    }
    maxInFlight = Math.max(maxInFlight, workers[0]!.inFlight, workers[1]!.inFlight);
  };
  for (const c of conns) h.pool.submit(c);
  collect();
  // A deterministic sequence (linear congruential): the same interleaving on every run.
  let seed = 12345;
  const random = (n: number): number => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
  for (let step = 0; step < opts.steps; step++) {
    later(opts.stepMs);
    const answered: FakeJob[] = [];
    workers.forEach((w, i) => {
      const batch = running.get(w)!.splice(0, random(8 * opts.speed[i]!) + 1);
      for (const c of batch) h.pool.jobDone(w as never, c, true);
      served[i]! += batch.length;
      answered.push(...batch);
    });
    collect(); // queued jobs the answers let in
    for (let i = answered.length - 1; i > 0; i--) {
      const k = random(i + 1);
      [answered[i], answered[k]] = [answered[k]!, answered[i]!];
    }
    for (const c of answered) h.pool.submit(c);
    collect();
  }
  const total = served[0]! + served[1]!;
  return { share: served.map((n) => n / total), moves: moves / total, maxInFlight, queued: h.queued.length };
}
