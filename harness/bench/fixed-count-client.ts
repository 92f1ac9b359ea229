// A keep-alive load client that sends an exact number of requests: N connections opened once and reused, each
// sending its next GET when its previous response has arrived (optionally `pipeline` at a time). Used where the
// bench must count work per request (instructions under callgrind), so connection setup stays out of the measured
// window and the request count is exact. Written here rather than taken from wrk/autocannon because neither can
// stop after a given count while keeping its connections open for a second run.
import net from 'node:net';

export interface FixedRunResult {
  responses: number;
  /** Responses whose status line was not 200. */
  non200: number;
  ms: number;
}

export class FixedCountClientError extends Error {
  readonly code = 'LAB_ERR_BENCH_FIXED_CLIENT';
}

interface Conn {
  socket: net.Socket;
  pending: Buffer | null;
  outstanding: number;
}

const HEAD_END = '\r\n\r\n';

/** Length of the body a response head announces (0 when it announces none); chunked responses are not supported. */
export function announcedLength(head: string): number {
  const m = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (/\r\ntransfer-encoding:/i.test(head)) throw new FixedCountClientError('chunked responses are not supported');
  return m ? Number(m[1]) : 0;
}

export class FixedCountClient {
  private readonly conns: Conn[] = [];
  private readonly request: Buffer;
  private target = 0;
  private sent = 0;
  private done = 0;
  private non200 = 0;
  private finish: ((err?: Error) => void) | null = null;

  private constructor(
    private readonly port: number,
    private readonly pipeline: number,
    host: string,
  ) {
    this.request = Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`.repeat(pipeline));
  }

  /** Opens `connections` keep-alive connections to 127.0.0.1:port. */
  static async open(port: number, connections: number, pipeline = 1): Promise<FixedCountClient> {
    const c = new FixedCountClient(port, pipeline, `127.0.0.1:${port}`);
    await Promise.all(Array.from({ length: connections }, () => c.connect()));
    return c;
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port: this.port, host: '127.0.0.1', noDelay: true });
      const conn: Conn = { socket, pending: null, outstanding: 0 };
      socket.once('connect', () => {
        this.conns.push(conn);
        resolve();
      });
      socket.once('error', (err) => {
        reject(err);
        this.finish?.(new FixedCountClientError(`connection error: ${err.message}`, { cause: err }));
      });
      socket.on('close', () =>
        this.finish?.(new FixedCountClientError('the server closed a connection during the run')),
      );
      socket.on('data', (d: Buffer) => this.onData(conn, d));
    });
  }

  private onData(conn: Conn, chunk: Buffer): void {
    let buf = conn.pending ? Buffer.concat([conn.pending, chunk]) : chunk;
    conn.pending = null;
    for (;;) {
      const end = buf.indexOf(HEAD_END);
      if (end < 0) break;
      const head = buf.toString('latin1', 0, end);
      const total = end + 4 + announcedLength(head);
      if (buf.length < total) break;
      if (!head.startsWith('HTTP/1.1 200 ')) this.non200++;
      buf = buf.subarray(total);
      conn.outstanding--;
      this.done++;
    }
    if (buf.length > 0) conn.pending = buf;
    if (this.done >= this.target) this.finish?.();
    else if (conn.outstanding === 0) this.send(conn);
  }

  private send(conn: Conn): void {
    if (this.sent >= this.target) return;
    this.sent += this.pipeline;
    conn.outstanding += this.pipeline;
    conn.socket.write(this.request);
  }

  /** Sends n more requests (rounded up to whole pipelines) and resolves once every response is in. */
  run(n: number, timeoutMs: number): Promise<FixedRunResult> {
    const start = performance.now();
    const base = this.done;
    const bad = this.non200;
    this.target = this.done + n;
    this.sent = this.done;
    return new Promise<FixedRunResult>((resolve, reject) => {
      const timer = setTimeout(
        () => this.finish?.(new FixedCountClientError(`${this.done - base}/${n} responses within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.finish = (err) => {
        clearTimeout(timer);
        this.finish = null;
        if (err) reject(err);
        else
          resolve({
            responses: this.done - base,
            non200: this.non200 - bad,
            ms: Math.round(performance.now() - start),
          });
      };
      for (const c of this.conns) this.send(c);
    });
  }

  close(): void {
    this.finish = null;
    for (const c of this.conns) c.socket.destroy();
  }
}
