// Test support for the pool's policy tests (app-pool, recycler, health): an AppPool over fake workers
// (test-support/fake-worker.ts, installed by the test's jest.mock of ./worker-process), a real EventLog whose W3Events
// the tests read, and jobs that record how the pool answered them. Times come from Jest's fake clock.
import { AppPool } from '../app-pool';
import { EventLog } from '../../events/event-log';
import { poolSchema } from '../../config/pool-schema';
import { silentLogger } from '../../util/logger';
import type { W3Event, W3EventType } from '../../events/event-types';
import type { ApplicationConfig } from '../../config/types';
import type { PoolJob, RejectReason } from '../pool-job';
import type { HostLag } from '../host-lag';
import { WorkerProcess as FakeWorker } from './fake-worker';

export { FakeWorker };

/** The pool settings as a config file gives them (durations in ms); the schema fills in the defaults. */
export type PoolInput = Record<string, unknown>;

const APP: ApplicationConfig = {
  path: '/',
  host: null,
  pool: 'app',
  module: '/nowhere/app.js',
  command: null,
  cwd: '/',
  env: {},
  healthPath: null,
};

export interface FakeJob extends PoolJob {
  /** Workers it ran on, in order. */
  ranOn: FakeWorker[];
  rejected: { reason: RejectReason; tcpReset: boolean } | null;
}

export function job(): FakeJob {
  const j: FakeJob = {
    dispatchedAt: 0,
    responseStarted: false,
    cancelled: false,
    avoid: null,
    ranOn: [],
    rejected: null,
    run(w) {
      j.ranOn.push(w as unknown as FakeWorker);
    },
    reject(reason, tcpReset) {
      j.rejected = { reason, tcpReset };
    },
  };
  return j;
}

/**
 * Whether `p` has settled once the promise callbacks already due have run (no timer involved). A test asserts on it
 * before awaiting `p`: a bug that leaves `p` pending then fails the test at once instead of hanging it until Jest's
 * timeout (which also turns each such mutant of a mutation run into a slow timeout).
 */
export async function settles(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return settled;
}

export class PoolHarness {
  readonly events = new EventLog(silentLogger());
  readonly pool: AppPool;
  queueTimeoutMs = 0;
  private ids = 0;

  /** opts.hostLag: the host's lateness as the pool reads it (default: none, the pool discounts nothing). */
  constructor(input: PoolInput = {}, opts: { faultPlugin?: string; hostLag?: HostLag } = {}) {
    FakeWorker.reset();
    const config = poolSchema.parse({ name: 'app', ...input });
    this.pool = new AppPool(config, [APP], {
      events: this.events,
      log: silentLogger(),
      faultPlugin: opts.faultPlugin ?? null,
      ...(opts.hostLag ? { hostLag: opts.hostLag } : {}),
      nextWorkerId: () => ++this.ids,
      workerSocket: (id) => `/nowhere/worker-${id}.sock`,
      requestQueueTimeout: () => this.queueTimeoutMs,
    });
  }

  /** The jobs waiting in the pool's queue, head first. */
  get queued(): readonly PoolJob[] {
    return this.pool.queue.jobs();
  }

  /** Every worker the pool started, in order. */
  get workers(): FakeWorker[] {
    return FakeWorker.all;
  }

  worker(i: number): FakeWorker {
    const w = FakeWorker.all[i];
    if (!w) throw new Error(`no worker #${i} (the pool started ${FakeWorker.all.length})`);
    return w;
  }

  /** The pool's live list, as fakes. */
  get live(): FakeWorker[] {
    return this.pool.workers as unknown as FakeWorker[];
  }

  /** Starts the pool (boot) and marks every worker it started ready. */
  bootReady(): this {
    this.pool.boot();
    for (const w of this.workers) if (w.state === 'Starting') w.ready();
    return this;
  }

  of<K extends W3EventType>(type: K): W3Event[] {
    return this.events.since().filter((e) => e.type === type);
  }

  types(): W3EventType[] {
    return this.events.since().map((e) => e.type);
  }

  submit(): FakeJob {
    const j = job();
    this.pool.submit(j);
    return j;
  }

  /** A job finished on its worker (completed: the whole response was delivered). */
  done(j: FakeJob, completed = true): void {
    const w = j.ranOn.at(-1);
    if (!w) throw new Error('job never ran');
    this.pool.jobDone(w as never, j, completed);
  }
}
