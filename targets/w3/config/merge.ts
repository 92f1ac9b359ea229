// Deep merge of raw (file-format) configs: how the lab applies a scenario's overrides to a generated config
// before parseConfig validates the result. Plain objects merge key by key; everything else, arrays included,
// replaces. Arrays replace rather than merge by index because "pools[1]" in an override cannot say whether it
// means "change the second pool" or "add a pool"; an override that touches pools restates the list.

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

// Scenario files are JSON/YAML from disk: a "__proto__" key there is data, and copying it with plain assignment
// would change the result's prototype instead.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function cloneValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneValue);
  if (isPlainObject(v)) return mergeInto({}, v);
  return v;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    if (UNSAFE_KEYS.has(key) || value === undefined) continue;
    const current = target[key];
    target[key] =
      isPlainObject(current) && isPlainObject(value) ? mergeInto(mergeInto({}, current), value) : cloneValue(value);
  }
  return target;
}

/**
 * Returns a new object: `base` with `overrides` merged in. Objects are merged recursively, arrays and scalars
 * replace, `null` replaces (so an override can clear e.g. `logging.httpErrLog`), `undefined` is ignored.
 * Neither argument is modified and the result shares no objects or arrays with them.
 */
export function mergeConfig<T extends object>(base: T, overrides: object | null | undefined): T {
  if (!isPlainObject(base)) throw new TypeError('mergeConfig: base must be a plain object');
  const result = mergeInto({}, base);
  if (overrides === null || overrides === undefined) return result as T;
  if (!isPlainObject(overrides)) throw new TypeError('mergeConfig: overrides must be a plain object');
  return mergeInto(result, overrides) as T;
}
