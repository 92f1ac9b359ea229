// The README's "Events the checkers read" table, generated from the vocabulary so the documentation cannot drift
// from the code (a test compares the README with this output).
import type { z } from 'zod';
import { eventSchemas } from './vocabulary';

/** Shown once above the table rather than in every row. */
const COMMON = new Set(['type', 't', 'source', 'pool', 'pid', 'workerId']);

function typeName(field: z.ZodType): string {
  const def = (
    field as unknown as {
      def: { type: string; innerType?: z.ZodType; options?: unknown; entries?: Record<string, string> };
    }
  ).def;
  if (def.type === 'optional' || def.type === 'nullable') {
    const inner = typeName(def.innerType!);
    return def.type === 'nullable' ? `${inner} | null` : inner;
  }
  if (def.type === 'enum' && def.entries)
    return Object.values(def.entries)
      .map((v) => `'${v}'`)
      .join(' | ');
  if (def.type === 'array') return 'string[]';
  if (def.type === 'object') return '{host, port}';
  return def.type;
}

/** A field's description, looking through optional/nullable wrappers (the description may sit on the inner type). */
function describedAs(field: z.ZodType): string | undefined {
  if (field.description) return field.description;
  const inner = (field as unknown as { def: { innerType?: z.ZodType } }).def.innerType;
  return inner ? describedAs(inner) : undefined;
}

function fieldList(shape: Record<string, z.ZodType>): string {
  const parts = Object.entries(shape)
    .filter(([k]) => !COMMON.has(k))
    .map(([k, f]) => {
      const opt = f.isOptional() ? '?' : '';
      const description = describedAs(f);
      const what = description ? ` — ${description}` : '';
      return `\`${k}${opt}\`: ${typeName(f)}${what}`;
    });
  return parts.length ? parts.join('; ') : '—';
}

function scope(shape: Record<string, z.ZodType>): string {
  if ('pid' in shape && !shape['pid'].isOptional()) return 'worker';
  if ('pool' in shape) return 'pool';
  return 'target';
}

export function eventsTableMarkdown(): string {
  const rows = eventSchemas.map((s) => {
    const shape = s.shape as unknown as Record<string, z.ZodType>;
    const fields = fieldList(shape).replace(/\|/g, '\\|');
    return `| \`${s.shape.type.value}\` | ${scope(shape)} | ${fields} | ${s.description ?? ''} |`;
  });
  return ['| type | about | fields | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
