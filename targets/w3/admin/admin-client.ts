// A small client for the admin API over its Unix socket (used by the CLI and by the lab's w3 target). The JSON
// request underneath (requestJson) knows nothing of w3 and is exported for other JSON-over-HTTP control endpoints.
import http from 'node:http';

/** Where a JSON request goes: a Unix socket or a TCP host and port. */
export type JsonEndpoint = { socketPath: string } | { host: string; port: number };

export interface JsonReply {
  status: number;
  /** The parsed JSON body, null for an empty one, the text itself when it is not JSON (NDJSON, plain text). */
  body: unknown;
  text: string;
}

export interface JsonRequestOptions {
  headers?: Record<string, string>;
  /** Default 10 s. */
  timeoutMs?: number;
  /** The message of the error a timeout rejects with. */
  timeoutMessage?: string;
}

/**
 * One JSON request on its own connection (agent: false, so no pooled socket outlives it). Resolves with the status
 * and the body for every HTTP status — the caller decides which are failures — and rejects only on a transport
 * failure (refused, reset, timed out), with the underlying error.
 */
export function requestJson(
  endpoint: JsonEndpoint,
  method: string,
  path: string,
  body?: unknown,
  opts: JsonRequestOptions = {},
): Promise<JsonReply> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...endpoint,
        method,
        path,
        agent: false,
        timeout: opts.timeoutMs ?? 10_000,
        headers: {
          ...(data !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) }
            : {}),
          ...opts.headers,
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
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(opts.timeoutMessage ?? 'request timed out')));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

export class AdminError extends Error {
  readonly code = 'W3_ERR_ADMIN';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface AdminClientOptions {
  socketPath: string;
  faultToken?: string;
  timeoutMs?: number;
}

export class AdminClient {
  constructor(private readonly opts: AdminClientOptions) {}

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = this.opts.faultToken ? { 'X-W3-Fault-Token': this.opts.faultToken } : {};
    let reply: JsonReply;
    try {
      reply = await requestJson({ socketPath: this.opts.socketPath }, method, path, body, {
        headers,
        timeoutMs: this.opts.timeoutMs,
        timeoutMessage: 'admin request timed out',
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const hint =
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? ` (is w3 running with admin socket ${this.opts.socketPath}?)`
          : '';
      throw new AdminError(`${method} ${path}: ${err.message}${hint}`, undefined, { cause: err });
    }
    if (reply.status >= 400) {
      const msg = (reply.body as { error?: string })?.error ?? reply.text;
      throw new AdminError(`${method} ${path} → ${reply.status}: ${msg}`, reply.status);
    }
    return reply.body as T;
  }

  /** Streams events (NDJSON) until the returned stop() is called. */
  followEvents(onEvent: (e: Record<string, unknown>) => void, since = 0): { stop: () => void; done: Promise<void> } {
    let req: http.ClientRequest | null = null;
    const done = new Promise<void>((resolve) => {
      req = http.get(
        { socketPath: this.opts.socketPath, path: `/events?follow=1&since=${since}`, agent: false },
        (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (line) {
                try {
                  onEvent(JSON.parse(line) as Record<string, unknown>);
                } catch {
                  /* partial line cannot happen here; ignore junk */
                }
              }
            }
          });
          res.on('end', () => resolve());
          res.on('error', () => resolve());
        },
      );
      req.on('error', () => resolve());
    });
    return { stop: () => req?.destroy(), done };
  }
}
