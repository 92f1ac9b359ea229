// Style "factory": a function named `createApp` or `bootstrap` (exported under that name, or a module.exports /
// default export declared with it) that builds the app and returns it, or a promise of it — the usual shape of a
// NestJS main file without its listen() call. w3 calls it once per worker with no arguments and serves what it
// returns with the other styles.
import { AppLoadError, type AppStyle, type LoadedApp } from './types';

export const FACTORY_NAMES: readonly string[] = ['createApp', 'bootstrap'];

export const factoryStyle: AppStyle = {
  name: 'factory',
  accepts: `a factory \`${FACTORY_NAMES.join('` or `')}\` returning any of these (called once, with no arguments)`,
  matches: (value) => typeof value === 'function' && FACTORY_NAMES.includes(value.name),
  async adapt(value, what, resolve): Promise<LoadedApp> {
    let built: unknown;
    try {
      built = await (value as () => unknown)();
    } catch (err) {
      throw new AppLoadError(`${what}() failed: ${(err as Error)?.message ?? err}`, { cause: err });
    }
    if (built === undefined || built === null) {
      throw new AppLoadError(`${what}() returned ${built}: a factory must return the app (and not call listen())`);
    }
    return resolve(built, `the result of ${what}()`);
  },
};
