// Style "factory": recognised by name (createApp / bootstrap), called once with no arguments, its (awaited)
// result resolved like any export; a factory that throws or returns nothing is a load error naming it.
import { factoryStyle } from './factory';
import type { LoadedApp } from './types';

test('by name only; called once without arguments; the result is resolved', async () => {
  const args: unknown[][] = [];
  async function createApp(...a: unknown[]): Promise<object> {
    args.push(a);
    return { built: true };
  }
  expect(factoryStyle.matches(createApp)).toBe(true);
  expect(factoryStyle.matches(function bootstrap() {})).toBe(true);
  expect(factoryStyle.matches(function build() {})).toBe(false);
  const resolved: Array<[unknown, string]> = [];
  const loaded = await factoryStyle.adapt(createApp, 'export createApp', async (v, what) => {
    resolved.push([v, what]);
    return { listener: () => undefined, style: 'fastify' };
  });
  expect(args).toEqual([[]]);
  expect(resolved).toEqual([[{ built: true }, 'the result of export createApp()']]);
  expect(loaded.style).toBe('fastify');
});

test('a factory that throws or returns nothing is a load error', async () => {
  const none = (): Promise<LoadedApp> => Promise.reject(new Error('not expected'));
  await expect(
    factoryStyle.adapt(
      async () => {
        throw new Error('no config');
      },
      'export bootstrap',
      none,
    ),
  ).rejects.toThrow('export bootstrap() failed: no config');
  await expect(factoryStyle.adapt(async () => undefined, 'export createApp', none)).rejects.toThrow(
    /export createApp\(\) returned undefined: a factory must return the app \(and not call listen\(\)\)/,
  );
});
