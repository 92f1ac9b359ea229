// Test helpers for the listener: a raw TCP exchange (exact bytes out, every byte back, who closed and when), a
// reader for the HTTPERR file, and small waits with deadlines. Raw sockets because the HTTP.SYS pages, the
// timers and the header limits are about bytes and connection closes a normal HTTP client hides.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import type { RunningServer } from '../../test-support/server';

export interface RawResponse {
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawConnection {
  socket: net.Socket;
  localPort: number;
  connectedAt: number;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves when the server closes the connection (or it errors); rejects after `timeoutMs`. */
  closed(timeoutMs?: number): Promise<{ at: number; how: 'end' | 'error' }>;
  /** Resolves with the first complete response. */
  response(timeoutMs?: number): Promise<RawResponse>;
  destroy(): void;
}

export async function connect(port: number): Promise<RawConnection> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const chunks: Buffer[] = [];
  const waiters = new Set<() => void>();
  let closedAt: { at: number; how: 'end' | 'error' } | null = null;
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    notify();
  });
  socket.on('end', () => {
    closedAt ??= { at: Date.now(), how: 'end' };
    notify();
  });
  socket.on('error', () => {
    closedAt ??= { at: Date.now(), how: 'error' };
    notify();
  });
  socket.on('close', () => {
    closedAt ??= { at: Date.now(), how: 'end' };
    notify();
  });
  const until = <T>(check: () => T | null, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const v = check();
        if (v === null) return false;
        waiters.delete(attempt);
        clearTimeout(timer);
        resolve(v);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(attempt);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; ` +
              `received ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`,
          ),
        );
      }, timeoutMs);
      if (!attempt()) waiters.add(attempt);
    });
  return {
    socket,
    localPort: socket.localPort!,
    connectedAt: Date.now(),
    received: () => Buffer.concat(chunks),
    closed: (timeoutMs = 15_000) => until(() => closedAt, timeoutMs, 'the server to close the connection'),
    response: (timeoutMs = 15_000) => until(() => parseResponse(Buffer.concat(chunks)), timeoutMs, 'a response'),
    destroy: () => socket.destroy(),
  };
}

/** Sends `bytes` on a new connection and waits for the response and for the server to close. */
export async function exchange(
  port: number,
  bytes: string | Buffer,
): Promise<RawResponse & { serverClosed: boolean; localPort: number }> {
  const c = await connect(port);
  c.socket.write(bytes);
  const res = await c.response();
  const closed = await c.closed(5000).then(
    () => true,
    () => false,
  );
  c.destroy();
  return { ...res, serverClosed: closed, localPort: c.localPort };
}

export function parseResponse(buf: Buffer): RawResponse | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = lines[0]!;
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const len = Number(headers['content-length'] ?? 0);
  if (buf.length < end + 4 + len) return null;
  return { statusLine, status: Number(statusLine.split(' ')[1]), headers, body: buf.subarray(end + 4, end + 4 + len) };
}

// ---- HTTPERR -----------------------------------------------------------------------------------------------

export interface HttpErrLine {
  date: string;
  time: string;
  clientIp: string;
  clientPort: string;
  serverIp: string;
  serverPort: string;
  version: string;
  method: string;
  uri: string;
  status: string;
  siteId: string;
  reason: string;
  queue: string;
}

export const HTTPERR_FILE = 'httperr.log';

export function readHttpErr(server: RunningServer): { header: string[]; lines: HttpErrLine[] } {
  const file = path.join(server.dir, HTTPERR_FILE);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const all = text.split('\n').filter((l) => l.length > 0);
  const header = all.filter((l) => l.startsWith('#'));
  const lines = all
    .filter((l) => !l.startsWith('#'))
    .map((l) => {
      const f = l.split(' ');
      return {
        date: f[0]!,
        time: f[1]!,
        clientIp: f[2]!,
        clientPort: f[3]!,
        serverIp: f[4]!,
        serverPort: f[5]!,
        version: f[6]!,
        method: f[7]!,
        uri: f[8]!,
        status: f[9]!,
        siteId: f[10]!,
        reason: f[11]!,
        queue: f[12]!,
      };
    });
  return { header, lines };
}

/** Waits until the HTTPERR file has a line matching `pred` (lines are written when the listener acts). */
export async function waitForHttpErr(
  server: RunningServer,
  pred: (l: HttpErrLine) => boolean,
  timeoutMs = 10_000,
): Promise<HttpErrLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = readHttpErr(server).lines.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline)
      throw new Error(
        `no HTTPERR line matched within ${timeoutMs} ms:\n${readHttpErr(server)
          .lines.map((l) => JSON.stringify(l))
          .join('\n')}`,
      );
    await new Promise((r) => setTimeout(r, 50)); // polling a file: the interval only sets how soon we notice
  }
}

export const LISTENER_APP = path.join(__dirname, 'listener-app.js');

/** HTTPERR entries as the host logged them (pino JSON on stdout), with the millisecond time of the decision. */
export function httpErrRecords(server: RunningServer): ({ t: number } & Record<string, unknown>)[] {
  const out: ({ t: number } & Record<string, unknown>)[] = [];
  for (const line of server.output().split('\n')) {
    if (!line.includes('"httperr"')) continue;
    try {
      const j = JSON.parse(line) as { time: number; httperr: Record<string, unknown> };
      out.push({ t: j.time, ...j.httperr });
    } catch {
      /* a partial line */
    }
  }
  return out;
}

/** Waits for a condition polled every 50 ms, failing with `what` after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => T | undefined | null | false,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
