// An ordinary Koa app (koa from npm), exported as the application object: w3 serves it through `callback()`.
//   GET  /             hello
//   GET  /users/:id    JSON with the id and the worker's pid
//   POST /users        201 with the JSON body
//   GET  /slow?ms=N    answers after N ms
'use strict';
const Koa = require('koa');

const app = new Koa();

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString() || 'null');
}

app.use(async (ctx) => {
  const user = /^\/users\/([^/]+)$/.exec(ctx.path);
  if (ctx.method === 'GET' && ctx.path === '/') ctx.body = 'hello from koa\n';
  else if (ctx.method === 'GET' && user) ctx.body = { id: user[1], pid: process.pid };
  else if (ctx.method === 'POST' && ctx.path === '/users') {
    ctx.status = 201;
    ctx.body = { created: await readJson(ctx.req) };
  } else if (ctx.method === 'GET' && ctx.path === '/slow') {
    const ms = Math.min(60_000, Number(ctx.query.ms ?? 200));
    await new Promise((resolve) => setTimeout(resolve, ms));
    ctx.body = `slept ${ms}\n`;
  }
});

module.exports = app;
