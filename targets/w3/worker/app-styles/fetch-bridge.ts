// The bridge between Node's HTTP objects and the web-standard Request/Response that fetch-style handlers (Hono,
// `export default { fetch }`, ...) speak:
//   - toWebRequest: method, URL (from the Host header), every header as sent (repeated ones appended), the body
//     as a ReadableStream that reads the socket only as fast as the handler consumes it (the socket is paused
//     while the stream's queue is full), and an AbortSignal that fires when the client goes away before the
//     response is complete;
//   - writeWebResponse: status and status text, headers with each Set-Cookie kept a separate header line
//     (Headers would otherwise join them with commas, which breaks cookies), the body streamed chunk by chunk,
//     waiting for 'drain' when the socket is full; a client that leaves cancels the body stream, so an endless
//     or slow producer stops.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request body bytes buffered ahead of the handler before the socket is paused. */
const BODY_HIGH_WATER_BYTES = 64 * 1024;

function originOf(req: IncomingMessage): string {
  const host = req.headers.host;
  if (host) {
    try {
      return new URL(`http://${host}`).origin;
    } catch {
      /* not a valid authority: fall back below */
    }
  }
  return 'http://localhost';
}

/** The request URL: absolute-form targets as they are, otherwise the path on the Host header's origin. */
export function requestUrl(req: IncomingMessage): string {
  const target = req.url ?? '/';
  if (/^https?:\/\//i.test(target)) {
    try {
      return new URL(target).href;
    } catch {
      /* fall through to the origin form */
    }
  }
  // Concatenated, not resolved: a path such as //other.host/x must stay a path on this origin.
  return new URL(originOf(req) + (target.startsWith('/') ? target : `/${target}`)).href;
}

function hasRequestBody(req: IncomingMessage): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

/** The request body as a web stream with backpressure onto the socket. */
export function requestBodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  let onData: ((chunk: Buffer) => void) | null = null;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const settle = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          fn();
        };
        onData = (chunk: Buffer) => {
          if (settled) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        req.on('data', onData);
        req.once('end', () => settle(() => controller.close()));
        req.once('error', (err) => settle(() => controller.error(err)));
        req.once('close', () => {
          if (!req.complete) settle(() => controller.error(new Error('the client aborted the request body')));
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        // The handler does not want the rest: read and discard it, so the connection stays usable.
        settled = true;
        if (onData) req.off('data', onData);
        req.resume();
      },
    },
    { highWaterMark: BODY_HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength },
  );
}

/** A web Request for a Node request; its signal aborts when the response closes before it was completed. */
export function toWebRequest(req: IncomingMessage, res: ServerResponse): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers are not headers
    headers.append(name, raw[i + 1]!);
  }
  const aborter = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) aborter.abort();
  });
  const init: RequestInit & { duplex?: 'half' } = { method: req.method ?? 'GET', headers, signal: aborter.signal };
  if (hasRequestBody(req)) {
    init.body = requestBodyStream(req);
    init.duplex = 'half'; // a streamed request body must say so
  }
  return new Request(requestUrl(req), init);
}

/** The shape of a Response the bridge needs (a Response from another fetch implementation also has it). */
export interface ResponseLike {
  status: number;
  statusText?: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

export function isResponseLike(value: unknown): value is ResponseLike {
  if (value instanceof Response) return true;
  const r = value as Partial<ResponseLike> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.status === 'number' &&
    typeof r.headers?.get === 'function' &&
    'body' in r
  );
}

function setCookiesOf(headers: Headers): string[] {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  const joined = headers.get('set-cookie');
  return joined === null ? [] : [joined];
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function isEmptyChunk(chunk: unknown): boolean {
  return (chunk instanceof Uint8Array && chunk.byteLength === 0) || chunk === '';
}

const BODYLESS_STATUS = new Set([101, 204, 205, 304]);

/**
 * Writes a web Response to a Node response. Resolves when the response ended or the client left; a body stream
 * that fails after the head was sent destroys the response (the client sees a truncated response, never a
 * complete-looking one). Errors before the head are thrown to the caller, which answers 500.
 */
export async function writeWebResponse(
  response: ResponseLike,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value);
  }
  const cookies = setCookiesOf(response.headers);
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);

  const body = response.body;
  if (!body || req.method === 'HEAD' || BODYLESS_STATUS.has(response.status)) {
    if (body) void body.cancel().catch(() => undefined);
    res.end();
    return;
  }
  const reader = body.getReader();
  const onClose = (): void => {
    if (!res.writableFinished) void reader.cancel().catch(() => undefined);
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (isEmptyChunk(value)) continue;
      if (!res.write(value)) await drained(res);
    }
    res.end();
  } catch (err) {
    if (!res.headersSent) throw err;
    res.destroy(err as Error);
  } finally {
    res.off('close', onClose);
  }
}
