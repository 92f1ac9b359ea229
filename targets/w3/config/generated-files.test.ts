// Keeps w3-config.schema.json and SETTINGS.md true to schema.ts. Regenerate with
// `UPDATE_SCHEMA=1 npx jest targets/w3/config`.
import * as fs from 'node:fs';
import { configJsonSchema } from './json-schema';
import { settingsMarkdownTable } from './settings-table';
import { generatedFiles, writeJsonSchema } from './write-json-schema';

describe('generated files', () => {
  if (process.env['UPDATE_SCHEMA'] === '1') {
    it('rewrites them (UPDATE_SCHEMA=1)', () => {
      expect(writeJsonSchema()).toHaveLength(2);
    });
  }

  it.each(generatedFiles().map((g) => [g.file, g.content] as const))('%s is up to date', (file, content) => {
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(missing)';
    // One boolean, not a 600-line diff: the fix is always the same command.
    if (committed !== content) throw new Error(`${file} is stale: run UPDATE_SCHEMA=1 npx jest targets/w3/config`);
  });
});

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as {
    properties: Record<
      string,
      { properties?: Record<string, Record<string, unknown>>; items?: Record<string, unknown> }
    >;
    additionalProperties: boolean;
  };

  it('describes the input side with user-facing defaults and rejects unknown keys', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties['timers']?.properties?.['connectionTimeout']).toMatchObject({
      default: '120s',
      anyOf: [
        { type: 'number', minimum: 0 },
        { type: 'string', pattern: expect.any(String) },
      ],
    });
  });

  it("durations' pattern agrees with parseDuration on typical values", () => {
    const pattern = new RegExp(
      (schema.properties['timers']?.properties?.['connectionTimeout']?.['anyOf'] as { pattern?: string }[])[1]!
        .pattern!,
    );
    for (const ok of ['500ms', '1h30m', '00:01:30', '1.02:00:00']) expect(pattern.test(ok)).toBe(true);
    for (const bad of ['3x', '120', '']) expect(pattern.test(bad)).toBe(false);
  });
});

describe('settingsMarkdownTable', () => {
  const table = settingsMarkdownTable();

  it('has a row per leaf with the input-form default', () => {
    expect(table.startsWith('| setting | default | description |\n| --- | --- | --- |\n')).toBe(true);
    expect(table).toMatch(/^\| `pools\[\]\.processModel\.pingInterval` \| `"30s"` \| Time between health pings/m);
    expect(table).toMatch(/^\| `pools\[\]\.name` \| \(required\) \| /m);
    expect(table).toMatch(/^\| `pools` \| \(required\) \| /m);
    expect(table).toMatch(/^\| `admin\.tcp` \| \(optional\) \| /m);
    expect(table).toMatch(/^\| `applications\[\]\.module` \| \(optional\) \| /m);
    expect(table).toMatch(/^\| `limits\.maxFieldLength` \| `16384` \| /m);
    expect(table).toMatch(/^\| `pools\[\]\.failure\.orphanActionCommand` \| `null` \| /m);
    expect(table).not.toMatch(/^\| `timers` \|/m); // sections with defaults are not rows of their own
  });

  it('gives every row a description', () => {
    const rows = table.trim().split('\n').slice(2);
    for (const row of rows) expect(row).not.toMatch(/\|\s*\|$/);
  });
});
