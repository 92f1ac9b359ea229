// Reaching a control API inside a container without publishing it: each request is one `node -e` exec inside
// the container (there is no shell or curl there) that talks to a Unix socket (w3's admin API) or to a port on the
// container's own loopback (node-cluster's control endpoint) and prints the status and body as JSON. About one
// node start per request (tens of ms): fine for listing workers and injecting faults; event streams are read from
// the container's stdout instead (w3 and the node-cluster primary log every event as a JSON line).
import type { StartedContainerHandle } from './container-runtime';

/** The in-container client: argv = JSON {method, path, body, socketPath?, port?, headers}. */
const CLIENT = [
  "const http = require('http');",
  'const o = JSON.parse(process.argv[1]);',
  'const headers = { ...o.headers };',
  'if (o.body) {',
  "  headers['content-type'] = 'application/json';",
  "  headers['content-length'] = Buffer.byteLength(o.body);",
  '}',
  "const target = o.socketPath ? { socketPath: o.socketPath } : { host: '127.0.0.1', port: o.port };",
  'const req = http.request({ ...target, method: o.method, path: o.path, headers, timeout: o.timeoutMs }, (res) => {',
  "  let data = ''; res.setEncoding('utf8');",
  "  res.on('data', (c) => { data += c; });",
  "  res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, body: data })));",
  '});',
  "req.on('timeout', () => req.destroy(new Error('request timed out')));",
  "req.on('error', (e) => { process.stderr.write(e.message); process.exitCode = 2; });",
  'if (o.body) req.write(o.body);',
  'req.end();',
].join('\n');

export class ContainerAdminError extends Error {
  readonly code = 'LAB_ERR_CONTAINER_ADMIN';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ContainerAdminOptions {
  /** Unix socket inside the container (w3: the config's admin.socket)... */
  socketPath?: string;
  /** ...or a TCP port on the container's 127.0.0.1 (node-cluster: CONTROL_PORT). */
  port?: number;
  /** Sent as X-W3-Fault-Token (w3 and node-cluster fault routes). */
  faultToken?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** JSON-over-HTTP client executed inside the container; same contract as targets/w3/admin/admin-client.ts. */
export class ContainerAdminClient {
  constructor(
    private readonly container: Pick<StartedContainerHandle, 'exec' | 'name'>,
    private readonly opts: ContainerAdminOptions,
  ) {
    if (!opts.socketPath && !opts.port) throw new ContainerAdminError('ContainerAdminClient needs socketPath or port');
  }

  /**
   * One request; answers the status and the parsed body (text when not JSON) whatever the status — for callers
   * that decide themselves which statuses are failures (the node-cluster target). Only a failure to reach the
   * endpoint throws.
   */
  async requestRaw<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const arg = JSON.stringify({
      method,
      path,
      body: body === undefined ? '' : JSON.stringify(body),
      socketPath: this.opts.socketPath,
      port: this.opts.port,
      timeoutMs: this.opts.timeoutMs ?? 10_000,
      headers: { ...this.opts.headers, ...(this.opts.faultToken ? { 'x-w3-fault-token': this.opts.faultToken } : {}) },
    });
    const r = await this.container.exec(['node', '-e', CLIENT, arg]);
    if (r.exitCode !== 0) {
      throw new ContainerAdminError(
        `${method} ${path} in ${this.container.name}: ${r.stderr.trim() || `exit ${r.exitCode}`}`,
      );
    }
    let reply: { status: number; body: string };
    try {
      reply = JSON.parse(r.stdout) as { status: number; body: string };
    } catch {
      throw new ContainerAdminError(
        `${method} ${path} in ${this.container.name}: unreadable reply ${r.output.slice(0, 200)}`,
      );
    }
    let parsed: unknown = reply.body;
    try {
      parsed = reply.body ? JSON.parse(reply.body) : null;
    } catch {
      /* NDJSON or text */
    }
    return { status: reply.status, body: parsed as T };
  }

  /** One request; a status >= 400 throws ContainerAdminError with the status (same contract as AdminClient). */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const reply = await this.requestRaw<unknown>(method, path, body);
    if (reply.status >= 400) {
      const msg =
        (reply.body as { error?: string } | null)?.error ??
        (typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
      throw new ContainerAdminError(`${method} ${path} → ${reply.status}: ${msg}`, reply.status);
    }
    return reply.body as T;
  }
}
