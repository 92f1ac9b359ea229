// A JSON-over-HTTP client for a peer's control endpoint on loopback (the node-cluster primary's, see
// targets/peers/node-cluster/README.md). It answers with the status and the parsed body instead of throwing on
// HTTP errors, because the caller decides which statuses are failures and which error code they get; only a
// transport failure (refused, timed out) throws, as LAB_ERR_TARGET_CONTROL. node:http rather than a pooled client:
// a handful of requests per run, each on its own connection, so a dying peer never leaves a pooled socket behind.
import http from 'node:http';
import { TargetError } from './errors';

export interface ControlReply<T = unknown> {
  status: number;
  body: T;
}

export class ControlClient {
  constructor(
    private readonly opts: { host: string; port: number; token?: string; timeoutMs?: number; name: string },
  ) {}

  request<T = unknown>(method: string, route: string, body?: unknown): Promise<ControlReply<T>> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.opts.host,
          port: this.opts.port,
          method,
          path: route,
          agent: false,
          timeout: this.opts.timeoutMs ?? 10_000,
          headers: {
            ...(data !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}),
            ...(this.opts.token ? { 'X-W3-Fault-Token': this.opts.token } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              /* not JSON: keep the text */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
          res.on('error', (err) => reject(this.transportError(method, route, err)));
        },
      );
      req.on('timeout', () => req.destroy(new Error('control request timed out')));
      req.on('error', (err) => reject(this.transportError(method, route, err)));
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  private transportError(method: string, route: string, err: Error): TargetError {
    return new TargetError('LAB_ERR_TARGET_CONTROL', `${this.opts.name} control ${method} ${route}: ${err.message}`, { cause: err });
  }
}

/** The `error` field of a JSON error body, else the body as text. */
export function errorText(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') return (body as { error: string }).error;
  return typeof body === 'string' ? body : JSON.stringify(body);
}
