// The admin API: JSON over a Unix socket (mode 0600, admin-socket.ts) and, optionally, 127.0.0.1 with a bearer token.
// Routes: GET /health, GET /pools, GET /listener, POST /pools/:name/recycle|start|stop, GET /events (NDJSON; ?follow=1
// keeps the stream open, ?since=<epoch ms> filters), POST /reload, POST|DELETE /pools/:name/workers/:id/faults and
// POST|DELETE /pools/:name/faults (startup faults) — the fault routes answer 403 unless fault injection is enabled and,
// when a fault token is set, the request carries it. Fault specs are validated by the fault plugin (loaded by the host
// only when fault injection is enabled): this module contains no fault code.
import http from 'node:http';
import crypto from 'node:crypto';
import type { W3Host } from '../host';
import type { HostFaultPlugin } from '../fault-plugin/fault-plugin';
import { bindPrivateSocket } from './admin-socket';
import { streamEvents } from './event-stream';
import type { Logger } from '../util/logger';

type Handler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  params: string[],
  body: unknown,
) => Promise<void> | void;

export class AdminServer {
  private readonly servers: http.Server[] = [];
  private readonly routes: { method: string; re: RegExp; handler: Handler; needsFaultToken?: boolean }[] = [];

  constructor(
    private readonly host: W3Host,
    private readonly log: Logger,
  ) {
    this.addStatusRoutes();
    this.addPoolRoutes();
    this.addFaultRoutes();
  }

  private route(method: string, re: RegExp, handler: Handler, needsFaultToken = false): void {
    this.routes.push({ method, re, handler, needsFaultToken });
  }

  /** What the server is doing: health, pools, listener counters, the event log; and configuration reload. */
  private addStatusRoutes(): void {
    const host = this.host;
    const r = this.route.bind(this);
    r('GET', /^\/health$/, (_q, res) =>
      json(res, 200, {
        status: 'ok',
        pid: process.pid,
        uptimeMs: Math.round(process.uptime() * 1000),
        listen: host.address,
        events: host.events.stats(),
      }),
    );
    r('GET', /^\/pools$/, (_q, res) =>
      json(
        res,
        200,
        [...host.pools.values()].map((p) => p.snapshot()),
      ),
    );
    r('GET', /^\/listener$/, (_q, res) => json(res, 200, host.listenerStats()));
    r('GET', /^\/events$/, (req, res) => this.events(req, res));
    r('POST', /^\/reload$/, async (_q, res) => {
      const result = await host.reload();
      json(res, result.ok ? 200 : 400, result);
    });
  }

  /** Recycle, start and stop a pool. */
  private addPoolRoutes(): void {
    const r = this.route.bind(this);
    r('POST', /^\/pools\/([^/]+)\/recycle$/, (_q, res, [name]) => {
      const pool = this.pool(res, name!);
      if (!pool) return;
      if (pool.state !== 'Started') return json(res, 409, { error: `pool ${name} is Stopped; start it first` });
      const recycleIds = pool.recycle('OnDemand');
      json(res, 202, { pool: name, recycleIds });
    });
    r('POST', /^\/pools\/([^/]+)\/start$/, (_q, res, [name]) => {
      const pool = this.pool(res, name!);
      if (!pool) return;
      pool.start('admin');
      json(res, 200, pool.snapshot());
    });
    r('POST', /^\/pools\/([^/]+)\/stop$/, (_q, res, [name]) => {
      const pool = this.pool(res, name!);
      if (!pool) return;
      pool.stop('Admin');
      json(res, 200, pool.snapshot());
    });
  }

  /** Inject and heal faults in a worker or in a pool's next starts (403 unless fault injection is enabled). */
  private addFaultRoutes(): void {
    const host = this.host;
    const r = this.route.bind(this);
    r(
      'POST',
      /^\/pools\/([^/]+)\/workers\/(\d+)\/faults$/,
      async (_q, res, [name, id], body) => {
        const pool = this.pool(res, name!);
        if (!pool) return;
        const w = pool.workers.find((x) => x.id === Number(id));
        if (!w) return json(res, 404, { error: `pool ${name} has no worker ${id}` });
        const parsed = this.plugin().parseWorkerFault(body);
        if (!parsed.ok) return json(res, 400, { error: parsed.error });
        // Reported once the worker acknowledged it: FaultInjected is the evidence that the fault is in the worker.
        const ack = await w.injectFault(parsed.value);
        if (ack.ok)
          host.events.emit({ type: 'FaultInjected', pool: name, workerId: w.id, pid: w.pid, fault: parsed.value });
        json(res, ack.ok ? 200 : 409, { pool: name, workerId: w.id, pid: w.pid, ...ack });
      },
      true,
    );
    r(
      'DELETE',
      /^\/pools\/([^/]+)\/workers\/(\d+)\/faults$/,
      (_q, res, [name, id]) => {
        const pool = this.pool(res, name!);
        if (!pool) return;
        const w = pool.workers.find((x) => x.id === Number(id));
        if (!w) return json(res, 404, { error: `pool ${name} has no worker ${id}` });
        w.heal();
        host.events.emit({ type: 'FaultHealed', pool: name, workerId: w.id, pid: w.pid });
        json(res, 200, { pool: name, workerId: w.id, healed: true });
      },
      true,
    );
    r(
      'POST',
      /^\/pools\/([^/]+)\/faults$/,
      (_q, res, [name], body) => {
        const pool = this.pool(res, name!);
        if (!pool) return;
        const parsed = this.plugin().parseStartupFault(body);
        if (!parsed.ok) return json(res, 400, { error: parsed.error });
        pool.startupFault = { mode: parsed.value.mode, remaining: parsed.value.count };
        host.events.emit({ type: 'FaultInjected', pool: name, fault: parsed.value });
        json(res, 200, { pool: name, startupFault: parsed.value });
      },
      true,
    );
    r(
      'DELETE',
      /^\/pools\/([^/]+)\/faults$/,
      (_q, res, [name]) => {
        const pool = this.pool(res, name!);
        if (!pool) return;
        pool.startupFault = null;
        host.events.emit({ type: 'FaultHealed', pool: name });
        json(res, 200, { pool: name, startupFault: null });
      },
      true,
    );
  }

  private pool(res: http.ServerResponse, rawName: string) {
    const name = decodeParam(rawName);
    const p = this.host.pools.get(name);
    if (!p) json(res, 404, { error: `no pool named ${JSON.stringify(name)}`, pools: [...this.host.pools.keys()] });
    return p;
  }

  /** Only reached on the fault routes, which answer 403 before this when fault injection is off. */
  private plugin(): HostFaultPlugin {
    const p = this.host.faultPlugin;
    if (!p) throw Object.assign(new Error('fault injection is not enabled on this server'), { status: 403 });
    return p;
  }

  async listenSocket(socketPath: string): Promise<void> {
    const server = http.createServer((req, res) => void this.handle(req, res, null));
    await bindPrivateSocket(server, socketPath);
    this.servers.push(server);
  }

  async listenTcp(host: string, port: number, token: string): Promise<number> {
    const server = http.createServer((req, res) => void this.handle(req, res, token));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.servers.push(server);
    return (server.address() as { port: number }).port;
  }

  close(): void {
    for (const s of this.servers) {
      s.close();
      s.closeAllConnections();
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, tcpToken: string | null): Promise<void> {
    try {
      if (tcpToken !== null && !tokenMatches(req.headers.authorization, tcpToken)) {
        return json(res, 401, { error: 'missing or wrong bearer token' });
      }
      const url = new URL(req.url ?? '/', 'http://admin');
      const candidates = this.routes.filter((r) => r.re.test(url.pathname));
      if (candidates.length === 0) return json(res, 404, { error: `no route ${req.method} ${url.pathname}` });
      const route = candidates.find((r) => r.method === req.method);
      if (!route)
        return json(res, 405, {
          error: `${req.method} not allowed on ${url.pathname}`,
          allow: candidates.map((r) => r.method),
        });
      if (route.needsFaultToken) {
        const fi = this.host.faultInjection;
        if (!fi.enabled)
          return json(res, 403, {
            error: 'fault injection is not enabled on this server (start it with --enable-faults)',
          });
        if (fi.token !== null) {
          const given = (req.headers['x-w3-fault-token'] as string | undefined) ?? bearer(req.headers.authorization);
          if (!given || !safeEqual(given, fi.token)) return json(res, 403, { error: 'missing or wrong fault token' });
        }
      }
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const params = route.re.exec(url.pathname)!.slice(1);
      await route.handler(req, res, params, body);
    } catch (err) {
      const e = err as Error & { status?: number };
      if (!res.headersSent) json(res, e.status ?? 500, { error: e.message });
      if (!e.status) this.log.error({ err: e.message }, 'admin request failed');
    }
  }

  private events(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const since = Number(url.searchParams.get('since') ?? 0) || 0;
    const follow = url.searchParams.get('follow') === '1';
    return streamEvents(this.host.events, res, { since, follow, log: this.log });
  }
}

/** A path parameter, %-decoded; a malformed escape is the client's error (400), not the server's. */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw Object.assign(new Error(`malformed %-escape in ${JSON.stringify(raw)}`), { status: 400 });
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) reject(Object.assign(new Error('request body over 1 MB'), { status: 413 }));
      else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(Object.assign(new Error(`request body is not valid JSON: ${(err as Error).message}`), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

function bearer(h: string | undefined): string | undefined {
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

function tokenMatches(h: string | undefined, token: string): boolean {
  const given = bearer(h);
  return given !== undefined && safeEqual(given, token);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
