// An upgraded connection (a WebSocket, or any request with `Connection: upgrade`) passed through to a worker. The
// request goes through the same checks, routing, admission and pool queue as any other; once a worker is picked,
// the listener opens a connection of its own to that worker, writes the request head (hop-by-hop headers removed
// except `Upgrade`, forwarding headers added) and then relays bytes both ways. Whatever the worker answers (101, or
// a refusal) reaches the client as sent; w3 does not parse the upgraded protocol.
// Lifetime: the tunnel counts as a request in flight on its worker until either side closes, so a recycle drains
// it (up to shutdownTimeLimit) and the worker's exit ends it — an upgraded connection lives and dies with its
// worker (unlike plain keep-alive connections, which the listener keeps). No listener timer runs on it once
// established. A failure before the worker sent anything is answered 502 and recorded.
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { PoolJob, RejectReason } from '../manager/pool-job';
import type { WorkerProcess } from '../manager/worker-process';
import type { AppPool } from '../manager/app-pool';
import type { ListenerContext } from './listener';
import type { HttpErrReason } from './http-error-log';
import { rawPage } from './httpsys-responses';
import { markClosing, endWith } from './connection-state';
import { upstreamHeaders } from './hop-headers';
import type { AcceptedHead } from './request-limits';
import type { Route } from './routing';

const BAD_GATEWAY =
  'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 61\r\n\r\n' +
  'Bad Gateway: the worker process did not accept this upgrade.\n';

export class TunnelJob implements PoolJob {
  dispatchedAt = 0;
  responseStarted = false;
  cancelled = false;
  avoid: WorkerProcess | null = null;
  finished = false;
  private worker: WorkerProcess | null = null;
  private upstream: net.Socket | null = null;
  private recorded = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly client: net.Socket,
    private readonly head: Buffer,
    private readonly accepted: AcceptedHead,
    private readonly route: Route,
    private readonly pool: AppPool,
    private readonly ctx: ListenerContext,
  ) {
    route.active++;
    ctx.inFlight++;
    client.once('close', () => this.onClientClose());
  }

  run(worker: WorkerProcess): void {
    this.worker = worker;
    const up = net.connect(worker.transportAddress() as net.NetConnectOpts);
    this.upstream = up;
    up.setNoDelay(true);
    const headers = upstreamHeaders(this.req, this.accepted, this.ctx.forwarding, this.route.app.path, true);
    let text = `${this.req.method} ${this.accepted.target.upstream} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
    up.write(text + '\r\n');
    if (this.head.length > 0) up.write(this.head);
    up.once('data', () => {
      this.responseStarted = true;
      // Established: the tunnel's life is the two ends', not a listener timer's.
      this.client.setTimeout(0);
    });
    // Not `end: true`: when the worker closes before answering, the client still gets the 502 (onUpstreamClose).
    up.pipe(this.client, { end: false });
    this.client.pipe(up);
    up.on('error', () => undefined); // 'close' follows and decides
    up.once('close', () => this.onUpstreamClose());
  }

  /** The pool could not serve it (queue full, pool stopped, the queue timer: Timer_AppPool). */
  reject(reason: RejectReason, tcpReset: boolean): void {
    if (this.finished) return;
    this.record(reason, tcpReset ? undefined : 503);
    this.leave();
    markClosing(this.client);
    if (tcpReset) this.client.resetAndDestroy();
    else endWith(this.client, rawPage('serviceUnavailable'));
  }

  private onUpstreamClose(): void {
    if (!this.responseStarted && !this.client.destroyed && !this.recorded) {
      // The worker refused or died before it answered: this request cannot be replayed (its bytes are gone).
      this.record('Connection_Abandoned_By_ReqQueue', 502);
      this.client.unpipe();
      endWith(this.client, BAD_GATEWAY);
    } else {
      // Deliver what the worker sent, then close.
      this.client.end();
    }
    this.done();
  }

  private onClientClose(): void {
    if (this.finished) return;
    if (this.worker) {
      this.upstream?.destroy();
      this.done();
      return;
    }
    this.cancelled = true;
    this.record('Client_Reset');
    this.dequeue();
  }

  private record(reason: HttpErrReason, status?: number): void {
    if (this.recorded) return;
    this.recorded = true;
    this.ctx.httpErr.write({ ...this.ctx.describe(this.req), status, reason, queue: this.pool.name });
  }

  private dequeue(): void {
    this.pool.cancel(this);
    this.leave();
  }

  private done(): void {
    if (this.finished) return;
    this.leave();
    if (this.worker) this.pool.jobDone(this.worker, this, this.responseStarted);
  }

  private leave(): void {
    if (this.finished) return;
    this.finished = true;
    this.route.active--;
    this.ctx.inFlight--;
  }
}
