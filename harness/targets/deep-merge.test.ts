// Unit tests of the deep merge used for scenario overrides.
import { deepMerge } from './deep-merge';

describe('deepMerge', () => {
  it('merges objects recursively; arrays, scalars and null replace; undefined is ignored', () => {
    const base = { a: { b: 1, c: [1, 2] }, d: 'x', e: { f: 1 } };
    const out = deepMerge(base, { a: { c: [3] }, d: undefined, e: null, g: true });
    expect(out).toEqual({ a: { b: 1, c: [3] }, d: 'x', e: null, g: true });
  });

  it('shares nothing with its inputs and leaves them unchanged', () => {
    const base = { a: { list: [{ x: 1 }] } };
    const over = { b: { y: [1] } };
    const out = deepMerge(base, over);
    (out['a'] as { list: { x: number }[] }).list[0]!.x = 9;
    (out['b'] as { y: number[] }).y.push(2);
    expect(base).toEqual({ a: { list: [{ x: 1 }] } });
    expect(over).toEqual({ b: { y: [1] } });
  });

  it('ignores __proto__ keys from data', () => {
    const over = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    const out = deepMerge({}, over);
    expect(out).toEqual({ ok: 1 });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});
