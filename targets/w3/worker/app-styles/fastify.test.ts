// Style "fastify" with a real Fastify instance: routes registered by an async plugin exist only after ready(),
// which the style awaits; a failing plugin is a load error naming the export; close() runs onClose hooks; an
// instance that already listens is refused.
import Fastify from 'fastify';
import { fastifyStyle } from './fastify';
import { call, serve, type Served } from './test-support/serve';
import type { LoadedApp } from './types';

const noInner = (): Promise<LoadedApp> => Promise.reject(new Error('not expected'));
let served: Served | null = null;
afterEach(async () => {
  await served?.close();
  served = null;
});

test('awaits ready() (async plugins) and routes through the instance, hooks and all', async () => {
  const app = Fastify();
  let closed = false;
  app.register(async (scope) => {
    await new Promise((r) => setTimeout(r, 20));
    scope.get('/items/:id', async (req) => ({ id: (req.params as { id: string }).id }));
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-hooked', 'yes');
  });
  app.addHook('onClose', async () => {
    closed = true;
  });
  expect(fastifyStyle.matches(app)).toBe(true);
  const loaded = await fastifyStyle.adapt(app, 'module.exports', noInner);
  expect(loaded.style).toBe('fastify');
  served = await serve(loaded.listener);
  const r = await call(served.port, { path: '/items/9' });
  expect([r.status, JSON.parse(r.body), r.headers['x-hooked']]).toEqual([200, { id: '9' }, 'yes']);
  expect((await call(served.port, { path: '/nope' })).status).toBe(404);
  await loaded.close!();
  expect(closed).toBe(true);
});

test('a plugin that fails makes a load error naming the export', async () => {
  const app = Fastify();
  app.register(async () => {
    throw new Error('database unreachable');
  });
  await expect(fastifyStyle.adapt(app, 'the default export', noInner)).rejects.toThrow(
    /the default export: the Fastify instance failed to become ready: database unreachable/,
  );
});

test('an instance that already listens is refused', async () => {
  const app = Fastify();
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    await expect(fastifyStyle.adapt(app, 'module.exports', noInner)).rejects.toThrow(/already listens/);
  } finally {
    await app.close();
  }
});

test('not a Fastify instance: Koa-like, Hono-like or plain objects', () => {
  expect(fastifyStyle.matches({ callback() {}, use() {} })).toBe(false);
  expect(fastifyStyle.matches({ fetch() {} })).toBe(false);
  expect(fastifyStyle.matches(() => undefined)).toBe(false);
});
