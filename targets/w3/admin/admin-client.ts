// A small client for the admin API over its Unix socket (used by the CLI and by the lab's w3 target).
import http from 'node:http';

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

  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.opts.socketPath,
          method,
          path,
          agent: false,
          timeout: this.opts.timeoutMs ?? 10_000,
          headers: {
            ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}),
            ...(this.opts.faultToken ? { 'X-W3-Fault-Token': this.opts.faultToken } : {}),
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
              /* NDJSON or text */
            }
            if ((res.statusCode ?? 500) >= 400) {
              const msg = (parsed as { error?: string })?.error ?? text;
              reject(new AdminError(`${method} ${path} → ${res.statusCode}: ${msg}`, res.statusCode));
            } else resolve(parsed as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('admin request timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const hint = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? ` (is w3 running with admin socket ${this.opts.socketPath}?)` : '';
        reject(new AdminError(`${method} ${path}: ${err.message}${hint}`, undefined, { cause: err }));
      });
      if (data) req.write(data);
      req.end();
    });
  }

  /** Streams events (NDJSON) until the returned stop() is called. */
  followEvents(onEvent: (e: Record<string, unknown>) => void, since = 0): { stop: () => void; done: Promise<void> } {
    let req: http.ClientRequest | null = null;
    const done = new Promise<void>((resolve) => {
      req = http.get({ socketPath: this.opts.socketPath, path: `/events?follow=1&since=${since}`, agent: false }, (res) => {
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
      });
      req.on('error', () => resolve());
    });
    return { stop: () => req?.destroy(), done };
  }
}
