// A small keep-alive client loop that records which worker answered each request (X-W3-Worker-Pid) and when, so
// the recycle benchmark can time "recycle requested → first response from the new worker". Written here rather
// than using autocannon, which neither exposes response headers per request nor sees connection closes; the loops
// also count sockets the server closed, since an orderly recycle must close none.
import http from 'node:http';
import type net from 'node:net';

export interface ProbeSample {
  /** Epoch ms when the response ended (or the request failed). */
  t: number;
  latencyMs: number;
  status?: number;
  pid?: number;
  error?: string;
}

export interface PidProbe {
  samples: ProbeSample[];
  /** Sockets opened so far (equals `loops` when every connection survived). */
  socketsOpened(): number;
  /** Sockets that ended or errored while the probe was running (server-side closes or resets). */
  socketsClosedByServer(): number;
  /** First sample at or after `since` answered by `pid`, waiting up to timeoutMs for it. */
  firstFrom(pid: number, since: number, timeoutMs: number): Promise<ProbeSample | undefined>;
  stop(): Promise<void>;
}

export interface PidProbeOptions {
  url: string;
  /** Concurrent request loops, one keep-alive connection each. */
  loops: number;
  /** Hard bound on the probe's lifetime. */
  maxDurationMs: number;
  requestTimeoutMs?: number;
}

// eslint-disable-next-line max-lines-per-function -- 89 lines once Prettier laid it out; to be split (issue 12)
export function startPidProbe(opts: PidProbeOptions): PidProbe {
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: opts.loops,
    maxFreeSockets: opts.loops,
    keepAliveMsecs: 60_000,
  });
  const samples: ProbeSample[] = [];
  const waiters = new Set<() => void>();
  let opened = 0;
  let closedByServer = 0;
  let running = true;
  const deadline = Date.now() + opts.maxDurationMs;

  const origCreate = agent.createConnection.bind(agent);
  (agent as unknown as { createConnection: typeof origCreate }).createConnection = (
    ...args: Parameters<typeof origCreate>
  ) => {
    const sock = origCreate(...args) as unknown as net.Socket;
    opened++;
    let counted = false;
    const closed = (): void => {
      if (running && !counted) {
        counted = true;
        closedByServer++;
      }
    };
    sock.once('end', closed);
    sock.once('error', closed);
    return sock;
  };

  const once = (): Promise<ProbeSample> =>
    new Promise((resolve) => {
      const start = Date.now();
      const req = http.get(opts.url, { agent, timeout: opts.requestTimeoutMs ?? 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          const t = Date.now();
          const pid = Number(res.headers['x-w3-worker-pid']);
          resolve({
            t,
            latencyMs: t - start,
            status: res.statusCode ?? 0,
            ...(Number.isFinite(pid) && pid > 0 ? { pid } : {}),
          });
        });
        res.on('error', (err) => resolve({ t: Date.now(), latencyMs: Date.now() - start, error: err.message }));
      });
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', (err) => resolve({ t: Date.now(), latencyMs: Date.now() - start, error: err.message }));
    });

  const loops = Array.from({ length: opts.loops }, async () => {
    while (running && Date.now() < deadline) {
      samples.push(await once());
      for (const w of [...waiters]) w();
    }
  });

  return {
    samples,
    socketsOpened: () => opened,
    socketsClosedByServer: () => closedByServer,
    firstFrom(pid, since, timeoutMs) {
      return new Promise((resolve) => {
        let from = 0;
        const check = (): boolean => {
          for (; from < samples.length; from++) {
            const s = samples[from]!;
            if (s.pid === pid && s.t >= since) {
              finish(s);
              return true;
            }
          }
          return false;
        };
        const timer = setTimeout(() => finish(undefined), timeoutMs);
        const finish = (s: ProbeSample | undefined): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(s);
        };
        if (!check()) waiters.add(check);
      });
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}
