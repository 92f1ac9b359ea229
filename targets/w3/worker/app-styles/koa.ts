// Style "koa": a Koa application instance (or anything with Koa's shape: `callback()` returning a Node request
// listener, and `use`). callback() composes the middleware once, at load time.
import { AppLoadError, hasMethods, type AppStyle, type LoadedApp, type RequestListener } from './types';

export const koaStyle: AppStyle = {
  name: 'koa',
  accepts: 'a Koa app (its `callback()` is used)',
  matches: (value) => typeof value === 'object' && hasMethods(value, 'callback', 'use'),
  async adapt(value, what): Promise<LoadedApp> {
    const listener = (value as { callback: () => unknown }).callback();
    if (typeof listener !== 'function') {
      throw new AppLoadError(
        `${what} looks like a Koa app, but its callback() returned ${typeof listener}, not a function`,
      );
    }
    return { listener: listener as RequestListener, style: 'koa' };
  },
};
