// Walks the file-format schema: the settings table (SETTINGS.md) lists its settings and the error formatter
// looks up the keys allowed at a path to suggest a correction for an unknown key. Only the zod node kinds the
// config schema uses are understood; anything else is treated as an opaque leaf.
import { z } from 'zod';

/** One documented setting. `path` uses "[]" for array elements, e.g. "pools[].processModel.pingInterval". */
export interface SettingInfo {
  path: string;
  /** The input-form default (what a user would write), or undefined when there is none. */
  defaultValue: unknown;
  hasDefault: boolean;
  required: boolean;
  description: string;
}

interface Unwrapped {
  core: z.ZodType;
  description: string | undefined;
  defaultValue: unknown;
  hasDefault: boolean;
  optional: boolean;
}

/** Peels optional/nullable/default/prefault wrappers and pipes (their input side), collecting what they say. The
 *  outermost description and default win, as they are the ones a user of that field sees. */
export function unwrap(schema: z.ZodType): Unwrapped {
  const out: Unwrapped = {
    core: schema,
    description: undefined,
    defaultValue: undefined,
    hasDefault: false,
    optional: false,
  };
  let s: z.ZodType = schema;
  for (;;) {
    out.description ??= s.description;
    if (s instanceof z.ZodPrefault || s instanceof z.ZodDefault) {
      if (!out.hasDefault) {
        const d: unknown = s.def.defaultValue;
        out.defaultValue = typeof d === 'function' ? (d as () => unknown)() : d;
        out.hasDefault = true;
      }
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodOptional) {
      out.optional = true;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodNullable) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType;
    } else break;
  }
  out.core = s;
  return out;
}

/** Keys an object accepts at `path` (numeric segments step into arrays), or [] when path is not an object. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node = unwrap(schema).core;
  for (const seg of path) {
    if (node instanceof z.ZodArray && typeof seg === 'number') node = unwrap(node.element as z.ZodType).core;
    else if (node instanceof z.ZodObject && typeof seg === 'string') {
      const child = (node.shape as Record<string, z.ZodType>)[seg];
      if (!child) return [];
      node = unwrap(child).core;
    } else return [];
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** Every setting in document order. Objects are descended into; an object or array of objects is listed itself
 *  only when it has no default (so "pools" and the optional "admin.tcp" appear, but "timers" does not). */
export function listSettings(schema: z.ZodType, prefix = ''): SettingInfo[] {
  const rows: SettingInfo[] = [];
  const u = unwrap(schema);
  const row = (): SettingInfo => ({
    path: prefix,
    defaultValue: u.defaultValue,
    hasDefault: u.hasDefault,
    // Relative to the enclosing object: admin.tcp is optional, but when given it needs a port.
    required: !u.optional && !u.hasDefault,
    description: u.description ?? '',
  });
  const core = u.core;
  if (core instanceof z.ZodObject) {
    if (prefix && !u.hasDefault) rows.push(row());
    for (const [key, child] of Object.entries<z.ZodType>(core.shape)) {
      rows.push(...listSettings(child, prefix ? `${prefix}.${key}` : key));
    }
  } else if (core instanceof z.ZodArray && unwrap(core.element as z.ZodType).core instanceof z.ZodObject) {
    rows.push(row());
    rows.push(...listSettings(core.element as z.ZodType, `${prefix}[]`).filter((r) => r.path !== `${prefix}[]`));
  } else {
    rows.push(row());
  }
  return rows;
}
