// Style "fetch": a web-standard fetch handler, the shape of Hono and other frameworks built on Request/Response —
// an object with `fetch(request)` (a Hono app, `export default { fetch }`) or a function of at most one parameter
// `(request) => Response`. Each request goes through fetch-bridge.ts; the handler may answer synchronously or with
// a promise. A handler that throws, rejects or returns something that is not a Response gets a 500 (with the
// reason on the worker's stderr), and the worker keeps serving.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isResponseLike, toWebRequest, writeWebResponse } from './fetch-bridge';
import { type AppStyle, type LoadedApp, type RequestListener } from './types';

type FetchFn = (request: Request) => unknown;

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return `an object (${v.constructor?.name ?? 'no prototype'})`;
}

function plainAnswer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A Node request listener calling `fetch` for every request; `what` names the handler in error messages. */
export function fetchListener(fetch: FetchFn, what: string): RequestListener {
  const fail = (res: ServerResponse, err: unknown): void => {
    if (res.destroyed) return; // the client left (the handler saw its request's signal abort): nobody to answer
    process.stderr.write(`w3: ${what} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    plainAnswer(res, 500, 'Internal Server Error\n');
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    let request: Request;
    try {
      request = toWebRequest(req, res);
    } catch (err) {
      // e.g. a method the fetch standard forbids (CONNECT, TRACE): the handler cannot be given such a request.
      plainAnswer(res, 400, `Bad Request: ${(err as Error).message}\n`);
      return;
    }
    let answer: unknown;
    try {
      answer = fetch(request);
    } catch (err) {
      fail(res, err);
      return;
    }
    Promise.resolve(answer)
      .then((response) => {
        if (!isResponseLike(response)) {
          throw new TypeError(`it returned ${describeValue(response)}, not a Response`);
        }
        return writeWebResponse(response, req, res);
      })
      .catch((err: unknown) => fail(res, err));
  };
}

export const fetchObjectStyle: AppStyle = {
  name: 'fetch',
  accepts: 'a fetch handler object `{ fetch(request) → Response }` (a Hono app, `export default { fetch }`)',
  matches: (value) =>
    value !== null && typeof value === 'object' && typeof (value as { fetch?: unknown }).fetch === 'function',
  async adapt(value, what): Promise<LoadedApp> {
    const obj = value as { fetch: (request: Request) => unknown };
    return { listener: fetchListener((request) => obj.fetch(request), `${what}.fetch`), style: 'fetch' };
  },
};

export const fetchFunctionStyle: AppStyle = {
  name: 'fetch',
  accepts: 'a fetch handler function `(request) => Response` (one parameter or none)',
  matches: (value) => typeof value === 'function' && value.length <= 1,
  async adapt(value, what): Promise<LoadedApp> {
    return { listener: fetchListener(value as FetchFn, what), style: 'fetch' };
  },
};
