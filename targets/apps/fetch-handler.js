// A bare web-standard fetch handler, no framework: `module.exports = async (request) => Response`.
//   GET  /             hello
//   GET  /users/:id    JSON with the id and the worker's pid
//   POST /users        201 with the JSON body
//   GET  /slow?ms=N    answers after N ms (stops early when the client goes away: request.signal)
'use strict';

module.exports = async function handle(request) {
  const url = new URL(request.url);
  const user = /^\/users\/([^/]+)$/.exec(url.pathname);
  if (request.method === 'GET' && url.pathname === '/') return new Response('hello from a fetch handler\n');
  if (request.method === 'GET' && user) return Response.json({ id: user[1], pid: process.pid });
  if (request.method === 'POST' && url.pathname === '/users') {
    return Response.json({ created: await request.json() }, { status: 201 });
  }
  if (request.method === 'GET' && url.pathname === '/slow') {
    const ms = Math.min(60_000, Number(url.searchParams.get('ms') ?? 200));
    await new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      request.signal.addEventListener('abort', () => (clearTimeout(t), resolve()));
    });
    return new Response(`slept ${ms}\n`);
  }
  return new Response('not found\n', { status: 404 });
};
