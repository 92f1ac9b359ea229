// A JSON-over-HTTP client for a peer's control endpoint on loopback (the node-cluster primary's, see
// targets/peers/node-cluster/README.md). It answers with the status and the parsed body instead of throwing on
// HTTP errors, because the caller decides which statuses are failures and which error code they get; only a
// transport failure (refused, timed out) throws, as LAB_ERR_TARGET_CONTROL. The request itself is w3's generic
// requestJson (node:http rather than a pooled client: a handful of requests per run, each on its own connection,
// so a dying peer never leaves a pooled socket behind).
import { requestJson } from '../../targets/w3/admin/admin-client';
import { TargetError } from './errors';

export interface ControlReply<T = unknown> {
  status: number;
  body: T;
}

export class ControlClient {
  constructor(
    private readonly opts: { host: string; port: number; token?: string; timeoutMs?: number; name: string },
  ) {}

  async request<T = unknown>(method: string, route: string, body?: unknown): Promise<ControlReply<T>> {
    try {
      const reply = await requestJson({ host: this.opts.host, port: this.opts.port }, method, route, body, {
        headers: this.opts.token ? { 'X-W3-Fault-Token': this.opts.token } : {},
        timeoutMs: this.opts.timeoutMs,
        timeoutMessage: 'control request timed out',
      });
      return { status: reply.status, body: reply.body as T };
    } catch (err) {
      throw this.transportError(method, route, err as Error);
    }
  }

  private transportError(method: string, route: string, err: Error): TargetError {
    return new TargetError('LAB_ERR_TARGET_CONTROL', `${this.opts.name} control ${method} ${route}: ${err.message}`, {
      cause: err,
    });
  }
}

/** The `error` field of a JSON error body, else the body as text. */
export function errorText(body: unknown): string {
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string')
    return (body as { error: string }).error;
  return typeof body === 'string' ? body : JSON.stringify(body);
}
