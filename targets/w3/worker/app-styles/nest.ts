// Style "nest": a NestJS application (INestApplication) created but not started, on either HTTP adapter
// (platform-express or platform-fastify). w3 calls `init()` — never `listen()`: the worker has its own server —
// which registers the controllers' routes and middleware on the adapter's framework instance, then serves that
// instance like any other export (an Express app, a Fastify instance). close() runs Nest's shutdown hooks.
import { AppLoadError, hasMethods, type AppStyle, type LoadedApp } from './types';

interface NestLike {
  init(): PromiseLike<unknown>;
  close(): PromiseLike<unknown>;
  getHttpAdapter(): { getInstance(): unknown };
  getHttpServer?(): { listening?: boolean } | undefined;
}

export const nestStyle: AppStyle = {
  name: 'nest',
  accepts: 'a NestJS application from NestFactory.create() on the Express or Fastify adapter (w3 calls `init()`)',
  matches: (value) => typeof value === 'object' && hasMethods(value, 'init', 'getHttpAdapter', 'close'),
  async adapt(value, what, resolve): Promise<LoadedApp> {
    const app = value as NestLike;
    let listening = false;
    try {
      listening = app.getHttpServer?.()?.listening === true;
    } catch {
      /* no HTTP server (a microservice-only app): reported below as an adapter without an instance */
    }
    if (listening)
      throw new AppLoadError(
        `${what} is a NestJS application that already listens: return it without calling listen()`,
      );
    try {
      await app.init();
    } catch (err) {
      throw new AppLoadError(`${what}: the NestJS application failed in init(): ${(err as Error)?.message ?? err}`, {
        cause: err,
      });
    }
    const instance = app.getHttpAdapter?.()?.getInstance?.();
    if (!instance) throw new AppLoadError(`${what} is a NestJS application without an HTTP adapter instance`);
    const inner = await resolve(instance, `${what}.getHttpAdapter().getInstance()`);
    return {
      listener: inner.listener,
      style: `nest (${inner.style})`,
      close: async () => {
        await app.close();
      },
    };
  },
};
