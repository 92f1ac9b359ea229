// Style "node": a Node request listener used as is — a plain `(req, res)` function, or an Express / Connect app
// (a function of arity 3, `(req, res, next)`, with `handle` and `use`). A function of one parameter or none is
// not a Node listener: that is a fetch handler (fetch-handler.ts) or a factory (factory.ts).
import { type AppStyle, type LoadedApp, type RequestListener } from './types';

function isExpressLike(value: object): boolean {
  const o = value as unknown as Record<string, unknown>;
  return typeof o['handle'] === 'function' && typeof o['use'] === 'function';
}

export const nodeListenerStyle: AppStyle = {
  name: 'node',
  accepts: 'a Node request listener `(req, res) => …` (also an Express or Connect app)',
  matches: (value) => typeof value === 'function' && (value.length >= 2 || isExpressLike(value)),
  async adapt(value): Promise<LoadedApp> {
    const fn = value as RequestListener & { handle?: unknown };
    return { listener: fn, style: isExpressLike(fn) ? 'express' : 'node' };
  },
};
