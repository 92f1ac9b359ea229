// How the loader picks a style for an export: the export itself, an awaited promise, then the usual names
// (default, createApp / bootstrap, app, handler, listener), with the overlaps decided in a fixed order; and the
// error for an export nothing fits, which says what the module exports and what w3 accepts.
import http from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { describeExport, resolveApp } from './load-app';

const FILE = '/srv/app.js';
const styleOf = async (exported: unknown): Promise<string> => (await resolveApp(exported, FILE)).style;

test('each export shape lands on its style', async () => {
  const plain = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end();
  expect(await styleOf(plain)).toBe('node');
  expect(await styleOf(express())).toBe('express');
  expect(await styleOf({ default: new Hono() })).toBe('fetch');
  expect(await styleOf({ fetch: (r: Request) => new Response(r.url) })).toBe('fetch');
  expect(await styleOf((r: Request) => new Response(r.url))).toBe('fetch');
  expect(await styleOf(Promise.resolve(Fastify()))).toBe('fastify');
  expect(await styleOf({ createApp: async () => Fastify() })).toBe('fastify');
  expect(
    await styleOf(async function bootstrap() {
      return plain;
    }),
  ).toBe('node');
  expect(await styleOf({ app: http.createServer(plain) })).toBe('http.Server');
  expect(await styleOf({ handler: plain, listener: 'ignored: handler comes first' })).toBe('node');
  expect(await styleOf({ __esModule: true, default: { default: express() } })).toBe('express');
});

test('a factory under another name is not called: a zero-parameter function is a fetch handler', async () => {
  let called = false;
  const build = (): unknown => {
    called = true;
    return Fastify();
  };
  expect(await styleOf(build)).toBe('fetch');
  expect(called).toBe(false);
});

test('nothing fits: the error names the module, what it exports, and every accepted shape', async () => {
  const err = await resolveApp({ port: 3000, start: (a: number) => a, name: 'svc' }, FILE).catch((e: Error) => e);
  expect(err).toMatchObject({ code: 'W3_ERR_APP_LOAD' });
  const msg = (err as Error).message;
  expect(msg).toContain(
    `application module ${FILE} exports no app w3 can serve: module.exports is an object with keys ` +
      '{ port: number, start: function(1), name: string }.',
  );
  for (const shape of [
    'Node request listener',
    'Koa',
    'Fastify',
    'NestJS',
    'fetch handler object',
    'createApp',
    'http.Server',
  ]) {
    expect(msg).toContain(shape);
  }
  await expect(resolveApp({ default: 42 }, FILE)).rejects.toThrow(/the default export is a number \(42\)/);
  await expect(resolveApp({}, FILE)).rejects.toThrow(/module.exports is an object with no keys/);
});

test('a rejected promise export and a cycle are load errors', async () => {
  const rejected = Promise.reject(new Error('db down'));
  rejected.catch(() => undefined);
  await expect(resolveApp(rejected, FILE)).rejects.toThrow(/module.exports is a promise that rejected: db down/);
  const cyclic: Record<string, unknown> = {};
  cyclic['default'] = cyclic;
  await expect(resolveApp(cyclic, FILE)).rejects.toThrow(/nests apps too deeply/);
});

test('describeExport', () => {
  expect(describeExport(undefined)).toBe('undefined');
  expect(
    describeExport(function createThing(a: unknown, b: unknown) {
      return [a, b];
    }),
  ).toBe('a function of 2 parameters (createThing)');
  expect(
    describeExport(
      new (class Thing {
        x = 1;
      })(),
    ),
  ).toBe('an object (Thing) with keys { x: number }');
});
