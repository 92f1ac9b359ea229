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

export function startPidProbe(opts: PidProbeOptions): PidProbe {
  const samples: ProbeSample[] = [];
  const waiters = new Set<() => void>();
  let running = true;
  const deadline = Date.now() + opts.maxDurationMs;
  const counted = countingAgent(opts.loops, () => running);
  const timeoutMs = opts.requestTimeoutMs ?? 5000;
  const loops = Array.from({ length: opts.loops }, async () => {
    while (running && Date.now() < deadline) {
      samples.push(await probeOnce(opts.url, counted.agent, timeoutMs));
      for (const w of [...waiters]) w();
    }
  });
  return {
    samples,
    socketsOpened: () => counted.opened,
    socketsClosedByServer: () => counted.closedByServer,
    firstFrom: (pid, since, timeoutMs) => firstSampleFrom(samples, waiters, pid, since, timeoutMs),
    async stop() {
      running = false;
      await Promise.all(loops);
      counted.agent.destroy();
    },
  };
}

/** A keep-alive agent with one socket per loop that counts the sockets it opened and those that ended or failed
 *  while the probe was running (the server closed them). */
function countingAgent(
  loops: number,
  running: () => boolean,
): { agent: http.Agent; readonly opened: number; readonly closedByServer: number } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: loops, maxFreeSockets: loops, keepAliveMsecs: 60_000 });
  const counts = { agent, opened: 0, closedByServer: 0 };
  const origCreate = agent.createConnection.bind(agent);
  (agent as unknown as { createConnection: typeof origCreate }).createConnection = (
    ...args: Parameters<typeof origCreate>
  ) => {
    const sock = origCreate(...args) as unknown as net.Socket;
    counts.opened++;
    let counted = false;
    const closed = (): void => {
      if (running() && !counted) {
        counted = true;
        counts.closedByServer++;
      }
    };
    sock.once('end', closed);
    sock.once('error', closed);
    return sock;
  };
  return counts;
}

/** One GET: its end time, latency, status and the worker pid that answered, or the error. Never rejects. */
function probeOnce(url: string, agent: http.Agent, timeoutMs: number): Promise<ProbeSample> {
  return new Promise((resolve) => {
    const start = Date.now();
    const failed = (err: Error): void => resolve({ t: Date.now(), latencyMs: Date.now() - start, error: err.message });
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
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
      res.on('error', failed);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', failed);
  });
}

/** The first sample at or after `since` answered by `pid`: looked up now, then each time a sample arrives. */
function firstSampleFrom(
  samples: readonly ProbeSample[],
  waiters: Set<() => void>,
  pid: number,
  since: number,
  timeoutMs: number,
): Promise<ProbeSample | undefined> {
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
}
