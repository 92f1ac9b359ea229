// The styles that need no startup work: a plain (req, res) listener, an Express app, a Koa app (callback()), and an
// unstarted http.Server (its "request" listener) — each served for real; and the shapes each one refuses.
import http from 'node:http';
import express from 'express';
import { nodeListenerStyle } from './node-listener';
import { koaStyle } from './koa';
import { httpServerStyle } from './http-server';
import { call, serve, type Served } from './test-support/serve';
import type { AppStyle, LoadedApp } from './types';

// Koa ships no type declarations; the test needs only this much of it.
interface KoaContext {
  path: string;
  body: unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- koa ships no types; the shape used is declared here
const Koa = require('koa') as new () => { use(mw: (ctx: KoaContext) => Promise<void>): void; callback(): unknown };

const noInner = (): Promise<LoadedApp> => Promise.reject(new Error('not expected'));
let served: Served | null = null;
afterEach(async () => {
  await served?.close();
  served = null;
});

async function body(style: AppStyle, value: unknown, path = '/'): Promise<[string, string]> {
  const loaded = await style.adapt(value, 'module.exports', noInner);
  served = await serve(loaded.listener);
  const r = await call(served.port, { path });
  await served.close();
  served = null;
  return [loaded.style, r.body];
}

test('a plain listener and an Express app are used as they are', async () => {
  const plain = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end('plain');
  const app = express();
  app.get('/x/:id', (req, res) => void res.send(`express ${req.params.id}`));
  expect(nodeListenerStyle.matches(plain)).toBe(true);
  expect(nodeListenerStyle.matches(app)).toBe(true);
  expect(await body(nodeListenerStyle, plain)).toEqual(['node', 'plain']);
  expect(await body(nodeListenerStyle, app, '/x/3')).toEqual(['express', 'express 3']);
  expect(nodeListenerStyle.matches((r: unknown) => r)).toBe(false); // one parameter: a fetch handler
  expect(nodeListenerStyle.matches({ handle() {}, use() {} })).toBe(false);
});

test('a Koa app is served through callback()', async () => {
  const app = new Koa();
  app.use(async (ctx) => {
    ctx.body = `koa ${ctx.path}`;
  });
  expect(koaStyle.matches(app)).toBe(true);
  expect(await body(koaStyle, app, '/k')).toEqual(['koa', 'koa /k']);
  expect(koaStyle.matches({ callback() {} })).toBe(false);
  await expect(koaStyle.adapt({ callback: () => 42, use() {} }, 'export app', noInner)).rejects.toThrow(
    /export app looks like a Koa app, but its callback\(\) returned number/,
  );
});

test('an unstarted http.Server is served by its request listener; a listening one is refused', async () => {
  const server = http.createServer((_req, res) => res.end('from server'));
  expect(httpServerStyle.matches(server)).toBe(true);
  expect(await body(httpServerStyle, server)).toEqual(['http.Server', 'from server']);
  await expect(httpServerStyle.adapt(http.createServer(), 'module.exports', noInner)).rejects.toThrow(
    /without a "request" listener/,
  );
  const running = http.createServer((_req, res) => res.end());
  await new Promise<void>((r) => running.listen(0, '127.0.0.1', r));
  try {
    await expect(httpServerStyle.adapt(running, 'module.exports', noInner)).rejects.toThrow(/already listening/);
  } finally {
    running.close();
  }
});
