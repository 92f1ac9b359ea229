// Style "fastify": a Fastify instance that was built but not started (`module.exports = fastify()` with its
// routes and plugins registered). w3 awaits `ready()` — plugins load asynchronously, so routes exist only after
// it — then hands each request to `routing`, the same handler Fastify installs on its own server. close() runs
// Fastify's onClose hooks when the worker shuts down.
import { AppLoadError, hasMethods, type AppStyle, type LoadedApp, type RequestListener } from './types';

interface FastifyLike {
  ready(): PromiseLike<unknown>;
  routing: RequestListener;
  close(): PromiseLike<unknown>;
  server?: { listening?: boolean };
}

export const fastifyStyle: AppStyle = {
  name: 'fastify',
  accepts: 'a Fastify instance, not listening (w3 awaits `ready()` and routes with `routing`)',
  matches: (value) => typeof value === 'object' && hasMethods(value, 'ready', 'routing', 'register', 'close'),
  async adapt(value, what): Promise<LoadedApp> {
    const app = value as FastifyLike;
    if (app.server?.listening) {
      throw new AppLoadError(`${what} is a Fastify instance that already listens: export it without calling listen()`);
    }
    try {
      await app.ready();
    } catch (err) {
      throw new AppLoadError(
        `${what}: the Fastify instance failed to become ready: ${(err as Error)?.message ?? err}`,
        {
          cause: err,
        },
      );
    }
    return {
      listener: (req, res) => app.routing(req, res),
      style: 'fastify',
      close: async () => {
        await app.close();
      },
    };
  },
};
