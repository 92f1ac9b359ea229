// Turns whatever an application module exports into a Node request listener, so ordinary apps run unchanged:
// a plain `(req, res)` function or an Express app (module.exports = app), `export default` of either, a Koa-style
// app with `callback()`, or `{ handler }` / `{ listener }`.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export function toRequestListener(exported: unknown, file: string): RequestListener {
  const candidates: unknown[] = [exported];
  if (exported && typeof exported === 'object') {
    const o = exported as Record<string, unknown>;
    candidates.push(o['default'], o['handler'], o['listener'], o['app']);
  }
  for (const c of candidates) {
    if (typeof c === 'function') return c as RequestListener;
    if (c && typeof c === 'object' && typeof (c as { callback?: unknown }).callback === 'function') {
      return (c as { callback: () => RequestListener }).callback();
    }
  }
  throw new Error(
    `application module ${file} exports no request listener: export a (req, res) function, an Express app, ` +
      'a Koa app, or { handler }',
  );
}
