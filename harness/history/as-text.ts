// Free-form values (mark fields, checker details) as text for messages and reports: strings as they are, numbers
// and booleans as written, objects and arrays as JSON — never "[object Object]".
export function asText(value: unknown, fallback = ''): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? fallback;
}
