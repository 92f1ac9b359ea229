// An ordinary Fastify app (fastify from npm), exported as the instance — built, never started: w3 awaits
// `ready()` (the routes below are added by an async plugin, so they exist only then) and serves it in each worker.
//   GET  /             hello
//   GET  /users/:id    JSON with the id and the worker's pid
//   POST /users        201 with the parsed JSON body (schema-validated: `name` is required)
//   GET  /slow?ms=N    answers after N ms (requests in flight during recycles and crashes)
'use strict';
const fastify = require('fastify');

const app = fastify({ logger: false });

app.register(async (api) => {
  api.get('/', async () => 'hello from fastify\n');
  api.get('/users/:id', async (req) => ({ id: req.params.id, pid: process.pid }));
  api.post(
    '/users',
    { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
    async (req, reply) => reply.code(201).send({ created: req.body }),
  );
  api.get('/slow', async (req) => {
    const ms = Math.min(60_000, Number(req.query.ms ?? 200));
    await new Promise((resolve) => setTimeout(resolve, ms));
    return `slept ${ms}\n`;
  });
});

module.exports = app;
