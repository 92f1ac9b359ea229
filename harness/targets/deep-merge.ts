// Deep merge for scenario overrides of a generated target config: plain objects merge key by key; arrays, scalars
// and null replace (an override that touches a list restates it — "pools[1]" cannot say "change" or "add");
// undefined is ignored. The result shares no objects or arrays with its inputs. Written here rather than imported
// because the harness must not depend on a concrete target's internals.

export type PlainObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is PlainObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

// Scenario files are data from disk: a "__proto__" key must not change the result's prototype.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isPlainObject(v)) return deepMerge({}, v);
  return v;
}

export function deepMerge(base: PlainObject, override: PlainObject | null | undefined): PlainObject {
  const out: PlainObject = {};
  for (const [k, v] of Object.entries(base)) if (!UNSAFE_KEYS.has(k) && v !== undefined) out[k] = clone(v);
  for (const [k, v] of Object.entries(override ?? {})) {
    if (UNSAFE_KEYS.has(k) || v === undefined) continue;
    const cur = out[k];
    out[k] = isPlainObject(cur) && isPlainObject(v) ? deepMerge(cur, v) : clone(v);
  }
  return out;
}
