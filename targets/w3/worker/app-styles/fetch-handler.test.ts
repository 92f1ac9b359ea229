// The fetch styles: which exports count as fetch handlers (a `{ fetch }` object such as a Hono app, a function of
// at most one parameter), and what a client gets when the handler throws, rejects or returns something that is not
// a Response — a 500, and the next request on the same connection is served.
import http from 'node:http';
import { Hono } from 'hono';
import { fetchFunctionStyle, fetchObjectStyle } from './fetch-handler';
import { call, serve, type Served } from './test-support/serve';
import type { LoadedApp } from './types';

const noInner = (): Promise<LoadedApp> => Promise.reject(new Error('not expected'));
let served: Served | null = null;
let stderr: jest.SpyInstance;
beforeEach(() => {
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  stderr.mockRestore();
  await served?.close();
  served = null;
});

test('shapes: `{ fetch }` objects and functions of at most one parameter; not (req, res) functions', () => {
  expect(fetchObjectStyle.matches(new Hono())).toBe(true);
  expect(fetchObjectStyle.matches({ fetch: () => new Response('') })).toBe(true);
  expect(fetchObjectStyle.matches({ fetch: 'x' })).toBe(false);
  expect(fetchFunctionStyle.matches((r: Request) => new Response(r.url))).toBe(true);
  expect(fetchFunctionStyle.matches(() => new Response(''))).toBe(true);
  expect(fetchFunctionStyle.matches((_req: unknown, _res: unknown) => undefined)).toBe(false);
});

test('a Hono app: routes, params, JSON, cookies, and `this` kept for a plain `{ fetch }` object', async () => {
  const app = new Hono();
  app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
  app.post('/login', async (c) => {
    const body = await c.req.json<{ user: string }>();
    c.header('Set-Cookie', `user=${body.user}; Path=/`, { append: true });
    c.header('Set-Cookie', 'session=abc; HttpOnly', { append: true });
    return c.text('welcome', 201);
  });
  served = await serve((await fetchObjectStyle.adapt(app, 'module.exports', noInner)).listener);
  const user = await call(served.port, { path: '/users/7' });
  expect([user.status, JSON.parse(user.body)]).toEqual([200, { id: '7' }]);
  const login = await call(served.port, {
    method: 'POST',
    path: '/login',
    headers: ['Content-Type', 'application/json'],
    body: '{"user":"ann"}',
  });
  expect([login.status, login.body, login.headers['set-cookie']]).toEqual([
    201,
    'welcome',
    ['user=ann; Path=/', 'session=abc; HttpOnly'],
  ]);
  await served.close();

  const obj = {
    greeting: 'hi',
    fetch(this: { greeting: string }) {
      return new Response(this.greeting);
    },
  };
  served = await serve((await fetchObjectStyle.adapt(obj, 'module.exports', noInner)).listener);
  expect((await call(served.port)).body).toBe('hi');
});

test('throw, reject, wrong return value: 500 with the reason on stderr, and the connection keeps serving', async () => {
  const fn = (r: Request): unknown => {
    const p = new URL(r.url).pathname;
    if (p === '/throw') throw new Error('sync boom');
    if (p === '/reject') return Promise.reject(new Error('async boom'));
    if (p === '/object') return { hello: 'world' };
    return new Response('fine');
  };
  served = await serve((await fetchFunctionStyle.adapt(fn, 'the default export', noInner)).listener);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const results = [];
  for (const p of ['/throw', '/reject', '/object', '/ok']) {
    const r = await call(served.port, { path: p, agent });
    results.push([r.status, r.body.trim()]);
  }
  agent.destroy();
  expect(results).toEqual([
    [500, 'Internal Server Error'],
    [500, 'Internal Server Error'],
    [500, 'Internal Server Error'],
    [200, 'fine'],
  ]);
  const logged = stderr.mock.calls.map((c) => String(c[0])).join('');
  expect(logged).toContain('sync boom');
  expect(logged).toContain('async boom');
  expect(logged).toContain('the default export failed: TypeError: it returned an object (Object), not a Response');
});

test('a method the fetch standard refuses (TRACE) is answered 400 without calling the handler', async () => {
  let calls = 0;
  served = await serve((await fetchFunctionStyle.adapt(() => (calls++, new Response('')), 'h', noInner)).listener);
  const r = await call(served.port, { method: 'TRACE' });
  expect(r.status).toBe(400);
  expect(r.body).toMatch(/TRACE/);
  expect(calls).toBe(0);
});
