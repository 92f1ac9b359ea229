// An ordinary Hono app (hono from npm), as an ES module: `export default app` — a web-standard fetch handler.
// w3 gives it a Request per request and streams its Response back (fetch bridge in the worker).
//   GET  /             hello
//   GET  /users/:id    JSON with the id and the worker's pid
//   POST /users        201 with the JSON body
//   POST /login        sets two cookies (two Set-Cookie lines)
//   GET  /stream?n=N   N lines, streamed one by one
//   GET  /slow?ms=N    answers after N ms
import { Hono } from 'hono';
import { stream } from 'hono/streaming';

const app = new Hono();

app.get('/', (c) => c.text('hello from hono\n'));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id'), pid: process.pid }));
app.post('/users', async (c) => c.json({ created: await c.req.json() }, 201));
app.post('/login', (c) => {
  c.header('Set-Cookie', 'session=s3cr3t; Path=/; HttpOnly', { append: true });
  c.header('Set-Cookie', 'theme=dark; Path=/', { append: true });
  return c.body(null, 204);
});
app.get('/stream', (c) =>
  stream(c, async (out) => {
    const n = Math.min(1000, Number(c.req.query('n') ?? 3));
    for (let i = 0; i < n; i++) {
      await out.write(`line ${i}\n`);
      await out.sleep(1);
    }
  }),
);
app.get('/slow', async (c) => {
  const ms = Math.min(60_000, Number(c.req.query('ms') ?? 200));
  await new Promise((resolve) => setTimeout(resolve, ms));
  return c.text(`slept ${ms}\n`);
});

export default app;
