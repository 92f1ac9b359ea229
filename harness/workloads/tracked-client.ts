// The connection-tracking client: N closed loops (one outstanding request per connection, keep-alive) that record
// every request and every socket (see history/types.ts) so checkers can prove or refute "no connection dropped",
// which autocannon cannot see (it counts responses, not connection closes). Nothing is retried unless asked: a request
// lost on a closing socket is recorded as the client saw it. When the server closes a connection the loop opens a
// new one; a refused connect is recorded as a failed request (with the conn id of the attempt, which gets no
// SocketRecord since no socket opened) and retried after a 50 ms back-off. `connectionClose` on a request record is
// true whenever the response ended the connection's reuse: `Connection: close`, or HTTP/1.0 without keep-alive, or a
// body delimited by the close.
import { performance } from 'node:perf_hooks';
import type { HistoryRecord, RequestRecord, SocketCloseKind, SocketRecord } from '../history/types';
import { WorkloadError, WorkloadOptionsError } from './errors';
import { LatencyHistogram, type LatencySummary } from './latency-histogram';
import { classifyStatus, classifyTransportError } from './outcome';
import { RequestEncoder, type EncodedRequest } from './request-spec';
import { TrackedConnection, type Completion } from './tracked-connection';
import { resolveOptions, type ResolvedOptions, type TrackedClientOptions } from './tracked-client-options';

export type { TrackedClientOptions } from './tracked-client-options';

export interface TrackedClientSummary {
  requests: number;
  ok: number;
  fail: number;
  info: number;
  byError: Record<string, number>;
  /** Count per response status; "none" for requests that got no response head. */
  byStatus: Record<string, number>;
  socketsOpened: number;
  /** Sockets the server ended: server-fin + server-close-announced + reset. */
  socketsClosedByServer: number;
  socketsByCloseKind: Partial<Record<SocketCloseKind, number>>;
  /** Requests per second over the load phase (all outcomes). */
  rps: number;
  /** Wall time of the load phase (until the last request ended), ms. */
  durationMs: number;
  /** Over requests that got a complete response. */
  latency: Omit<LatencySummary, 'count'>;
}

const REFUSED_BACKOFF_MS = 50;
/** How long, at the end, sockets whose server announced a close get to close on their own. */
const ANNOUNCED_CLOSE_GRACE_MS = 1000;

export async function runTrackedClient(opts: TrackedClientOptions): Promise<TrackedClientSummary> {
  const run = new Run(opts, resolveOptions(opts));
  return run.execute();
}

class Run {
  private stopping = false;
  private nextId = 1;
  private nextConn = 1;
  private readonly live = new Set<TrackedConnection>();
  private readonly wakers = new Set<() => void>();
  private readonly encoder: RequestEncoder;
  private readonly defaultSpec: { method: string; path: string };
  private readonly latency = new LatencyHistogram();
  private sinkError: unknown;
  private loopError: unknown;
  private readonly counts = { requests: 0, ok: 0, fail: 0, info: 0, socketsOpened: 0, byServer: 0 };
  private readonly byError: Record<string, number> = {};
  private readonly byStatus: Record<string, number> = {};
  private readonly byCloseKind: Partial<Record<SocketCloseKind, number>> = {};

  constructor(
    private readonly o: TrackedClientOptions,
    private readonly r: ResolvedOptions,
  ) {
    this.encoder = new RequestEncoder(r.authority);
    this.defaultSpec = { method: 'GET', path: r.defaultPath };
    // Bad specs in a fixed list are option errors: find them before any load is sent.
    for (const spec of o.requests ?? [this.defaultSpec]) {
      try {
        this.encoder.encode(spec);
      } catch (err) {
        throw new WorkloadOptionsError(`bad request spec ${JSON.stringify(spec)}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  }

  async execute(): Promise<TrackedClientSummary> {
    const stop = (): void => this.stop();
    const timer = setTimeout(stop, this.r.durationMs);
    this.o.signal?.addEventListener('abort', stop, { once: true });
    if (this.o.signal?.aborted === true) this.stop();
    const sweepEvery = Math.min(100, Math.max(5, Math.min(this.r.timeoutMs, this.r.connectTimeoutMs) / 10));
    const sweeper = setInterval(() => this.sweep(), sweepEvery);
    const t0 = performance.now();
    let elapsed: number;
    try {
      await Promise.all(
        Array.from({ length: this.r.connections }, (_, slot) =>
          this.slotLoop(slot, t0).catch((err: unknown) => {
            // A throwing pick() ends the whole run, not just this slot.
            this.loopError ??= err;
            this.stop();
          }),
        ),
      );
      elapsed = performance.now() - t0;
      await this.closeAll();
    } finally {
      clearTimeout(timer);
      clearInterval(sweeper);
      this.o.signal?.removeEventListener('abort', stop);
      for (const c of this.live) c.closeByClient();
    }
    if (this.loopError !== undefined)
      throw new WorkloadError('a request could not be built; run stopped', { cause: this.loopError });
    if (this.sinkError !== undefined) throw new WorkloadError('onRecord threw; run stopped', { cause: this.sinkError });
    const l = this.latency.summary();
    return {
      requests: this.counts.requests,
      ok: this.counts.ok,
      fail: this.counts.fail,
      info: this.counts.info,
      byError: this.byError,
      byStatus: this.byStatus,
      socketsOpened: this.counts.socketsOpened,
      socketsClosedByServer: this.counts.byServer,
      socketsByCloseKind: this.byCloseKind,
      rps: elapsed > 0 ? Math.round((this.counts.requests / elapsed) * 1000 * 10) / 10 : 0,
      durationMs: Math.round(elapsed),
      latency: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max },
    };
  }

  private stop(): void {
    this.stopping = true;
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  /** Sleeps up to `ms`; returns early when the run stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private async slotLoop(slot: number, t0: number): Promise<void> {
    const { intervalMs, connections } = this.r;
    let conn: TrackedConnection | null = null;
    let cycle = 0;
    // Stagger the connections' schedules so a rate limit does not send in bursts.
    let nextAt = t0 + (slot * intervalMs) / connections;
    let retry: EncodedRequest | null = null;
    while (!this.stopping) {
      let req: EncodedRequest | null = retry;
      retry = null;
      if (req === null) {
        if (intervalMs > 0) {
          const wait = nextAt - performance.now();
          if (wait > 0) await this.sleep(wait);
          if (this.stopping) break;
          nextAt = Math.max(nextAt + intervalMs, performance.now() - intervalMs);
        }
        if (this.nextId > this.r.maxRequests) break;
        req = this.choose(slot, cycle++);
      }
      const id = this.nextId++;
      if (conn === null || !conn.usable) {
        const t = Date.now();
        const candidate = this.open();
        const ready = await candidate.ready;
        if (!ready.ok) {
          const c = classifyTransportError(ready.error, false);
          this.emitRequest({
            kind: 'request',
            t,
            id,
            conn: candidate.conn,
            method: req.method,
            path: req.path,
            ...c,
            errorMessage: ready.message,
            latencyMs: round3(performance.now() - candidate.connectStartedAt),
          });
          conn = null;
          await this.sleep(REFUSED_BACKOFF_MS);
          continue;
        }
        conn = candidate;
      }
      const t = Date.now();
      const done = await conn.send(req);
      const stale =
        done.error !== undefined &&
        done.responseBytes === 0 &&
        done.priorRequests > 0 &&
        (done.error === 'closed' || done.error === 'reset');
      const retrying = stale && this.o.retryIdempotentOnStaleSocket === true && req.idempotent && !this.stopping;
      this.record(id, t, conn, req, done, retrying ? `stale keep-alive socket; retried as #${this.nextId}` : undefined);
      if (retrying) retry = req;
    }
  }

  private choose(slot: number, cycle: number): EncodedRequest {
    if (this.o.pick !== undefined) return this.encoder.encode(this.o.pick(this.nextId, slot));
    const list = this.o.requests;
    if (list === undefined) return this.encoder.encode(this.defaultSpec);
    return this.encoder.encode(list[cycle % list.length] ?? list[0]!);
  }

  private open(): TrackedConnection {
    const c = new TrackedConnection(this.nextConn++, this.r.host, this.r.port, (rec) => this.emitSocket(c, rec));
    this.live.add(c);
    void c.ready.then((r) => {
      if (r.ok) this.counts.socketsOpened += 1;
      else this.live.delete(c);
    });
    return c;
  }

  private record(
    id: number,
    t: number,
    conn: TrackedConnection,
    req: EncodedRequest,
    done: Completion,
    note?: string,
  ): void {
    const rec: RequestRecord = {
      kind: 'request',
      t,
      id,
      conn: conn.conn,
      localPort: conn.localPort,
      method: req.method,
      path: req.path,
      outcome: 'ok',
      latencyMs: round3(done.endedAt - done.startedAt),
    };
    if (done.head !== undefined) {
      rec.status = done.head.status;
      if (done.head.workerPid !== undefined) rec.workerPid = done.head.workerPid;
      if (!done.head.keepAlive) rec.connectionClose = true;
    }
    if (done.error === undefined && done.head !== undefined) {
      const c = classifyStatus(done.head.status, this.o.okStatuses);
      rec.outcome = c.outcome;
      if (c.error !== undefined) rec.error = c.error;
      this.latency.record(rec.latencyMs);
    } else {
      const c = classifyTransportError(done.error ?? 'other', true);
      rec.outcome = c.outcome;
      rec.error = c.error;
      const msg = [done.errorMessage, note].filter((s) => s !== undefined).join('; ');
      if (msg !== '') rec.errorMessage = msg;
    }
    this.emitRequest(rec);
  }

  private emitRequest(rec: RequestRecord): void {
    if (this.o.phase !== undefined) rec.phase = this.o.phase;
    this.counts.requests += 1;
    this.counts[rec.outcome] += 1;
    if (rec.error !== undefined) this.byError[rec.error] = (this.byError[rec.error] ?? 0) + 1;
    const s = rec.status === undefined ? 'none' : String(rec.status);
    this.byStatus[s] = (this.byStatus[s] ?? 0) + 1;
    this.sink(rec);
  }

  private emitSocket(c: TrackedConnection, rec: SocketRecord): void {
    this.live.delete(c);
    const kind = rec.closeKind ?? 'error';
    this.byCloseKind[kind] = (this.byCloseKind[kind] ?? 0) + 1;
    if (kind === 'server-fin' || kind === 'server-close-announced' || kind === 'reset') this.counts.byServer += 1;
    this.sink(rec);
  }

  private sink(rec: HistoryRecord): void {
    try {
      this.o.onRecord(rec);
    } catch (err) {
      this.sinkError ??= err;
      this.stop();
    }
  }

  /** Enforces request and connect timeouts, and closes sockets whose announced close never came. */
  private sweep(): void {
    const now = performance.now();
    for (const c of this.live) {
      if (c.isClosed) continue;
      if (now - c.inFlightSince >= this.r.timeoutMs) c.timeOut();
      else if (c.connecting && now - c.connectStartedAt >= this.r.connectTimeoutMs) c.connectTimeOut();
      else if (now - c.announcedAt >= this.r.timeoutMs) c.closeByClient();
    }
  }

  /** End of run: let announced closes happen, then close every remaining socket as 'client'. */
  private async closeAll(): Promise<void> {
    const announced = [...this.live].filter((c) => !Number.isNaN(c.announcedAt)).map((c) => c.closed);
    if (announced.length > 0) {
      let t: NodeJS.Timeout | undefined;
      const grace = new Promise<void>(
        (resolve) => (t = setTimeout(resolve, Math.min(ANNOUNCED_CLOSE_GRACE_MS, this.r.timeoutMs))),
      );
      await Promise.race([Promise.all(announced), grace]);
      clearTimeout(t);
    }
    const rest = [...this.live];
    for (const c of rest) c.closeByClient();
    await Promise.all(rest.map((c) => c.closed));
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
