// Style "nest" against Nest's contract (the real framework, an ES module, is exercised by the integration tests
// in worker processes): init() is called and listen() never, the adapter's framework instance is resolved as any
// export, close() reaches the application, failures in init() and a listening app are load errors.
import { nestStyle } from './nest';
import type { LoadedApp } from './types';

function fakeNest(opts: { initError?: Error; listening?: boolean } = {}) {
  const calls: string[] = [];
  const instance = { kind: 'express-app' };
  const app = {
    init: async () => {
      calls.push('init');
      if (opts.initError) throw opts.initError;
    },
    listen: async () => void calls.push('listen'),
    close: async () => void calls.push('close'),
    getHttpAdapter: () => ({ getInstance: () => instance }),
    getHttpServer: () => ({ listening: opts.listening === true }),
  };
  return { app, calls, instance };
}

test('init(), never listen(); the adapter instance is resolved; close() closes the application', async () => {
  const { app, calls, instance } = fakeNest();
  expect(nestStyle.matches(app)).toBe(true);
  const listener = (): void => undefined;
  const resolved: Array<[unknown, string]> = [];
  const resolve = async (v: unknown, what: string): Promise<LoadedApp> => {
    resolved.push([v, what]);
    return { listener, style: 'express' };
  };
  const loaded = await nestStyle.adapt(app, 'the default export', resolve);
  expect(resolved).toEqual([[instance, 'the default export.getHttpAdapter().getInstance()']]);
  expect(loaded.listener).toBe(listener);
  expect(loaded.style).toBe('nest (express)');
  await loaded.close!();
  expect(calls).toEqual(['init', 'close']);
});

test('init() failing and an app already listening are load errors', async () => {
  const fail = fakeNest({ initError: new Error('provider X missing') });
  const none = (): Promise<LoadedApp> => Promise.reject(new Error('not expected'));
  await expect(nestStyle.adapt(fail.app, 'export createApp', none)).rejects.toThrow(
    /export createApp: the NestJS application failed in init\(\): provider X missing/,
  );
  const listening = fakeNest({ listening: true });
  await expect(nestStyle.adapt(listening.app, 'module.exports', none)).rejects.toThrow(/already listens/);
  expect(listening.calls).toEqual([]);
  expect(nestStyle.matches({ init() {}, close() {} })).toBe(false);
});
