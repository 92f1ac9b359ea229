import { mergeConfig } from './merge';

describe('mergeConfig', () => {
  const base = {
    listen: { host: '127.0.0.1', port: 8080 },
    logging: { level: 'info', httpErrLog: './httperr.log' },
    pools: [{ name: 'app', processModel: { pingInterval: '30s' } }],
  };

  it('merges objects deeply and replaces arrays', () => {
    const merged = mergeConfig(base, {
      listen: { port: 0 },
      pools: [{ name: 'other' }],
    });
    expect(merged).toEqual({
      listen: { host: '127.0.0.1', port: 0 },
      logging: { level: 'info', httpErrLog: './httperr.log' },
      pools: [{ name: 'other' }],
    });
  });

  it('lets null clear a value and ignores undefined', () => {
    const merged = mergeConfig(base, { logging: { httpErrLog: null, level: undefined } });
    expect(merged.logging).toEqual({ level: 'info', httpErrLog: null });
  });

  it('adds keys the base does not have', () => {
    expect(mergeConfig(base, { faultInjection: { enabled: true } })).toMatchObject({
      faultInjection: { enabled: true },
    });
  });

  it('modifies neither input and shares nothing with them', () => {
    const overrides = { listen: { port: 1 }, pools: [{ name: 'x' }] };
    const snapshot = JSON.stringify([base, overrides]);
    const merged = mergeConfig(base, overrides);
    expect(JSON.stringify([base, overrides])).toBe(snapshot);
    merged.pools[0]!.name = 'changed';
    merged.logging.level = 'debug';
    expect(overrides.pools[0]!.name).toBe('x');
    expect(base.logging.level).toBe('info');
  });

  it('treats null/undefined overrides as none', () => {
    expect(mergeConfig(base, undefined)).toEqual(base);
    expect(mergeConfig(base, null)).toEqual(base);
  });

  it('does not let a "__proto__" key from parsed JSON change the prototype', () => {
    const merged = mergeConfig({}, JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect((merged as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('rejects non-objects', () => {
    expect(() => mergeConfig(base, [])).toThrow(TypeError);
  });
});
