// The settings table of SETTINGS.md and of the README, generated from the schema so the documentation cannot drift
// from what w3 accepts.
import { configFileSchema } from './schema';
import { listSettings, type SettingInfo } from './schema-walk';

function cell(text: string): string {
  // A "|" would end the cell; newlines would end the row.
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function defaultCell(s: SettingInfo): string {
  if (s.hasDefault) return `\`${JSON.stringify(s.defaultValue)}\``;
  return s.required ? '(required)' : '(optional)';
}

/** `| setting | default | description |` with one row per setting, in file order. */
export function settingsMarkdownTable(): string {
  const rows = listSettings(configFileSchema).map(
    (s) => `| \`${s.path}\` | ${cell(defaultCell(s))} | ${cell(s.description)} |`,
  );
  return ['| setting | default | description |', '| --- | --- | --- |', ...rows].join('\n') + '\n';
}

/** How values are written; the paragraph above the table in SETTINGS.md and in the README. */
export const SETTINGS_INTRO =
  [
    'Durations take a number of milliseconds or a string: `"500ms"`, `"90s"`, `"20m"`, `"29h"`, `"1d"`,',
    '`"1h30m"`, or an IIS timespan `"00:01:30"` / `"1.02:00:00"`. Memory sizes are KB, as in IIS. Relative paths',
    "resolve against the config file's folder. Unknown keys are rejected. `[]` marks a list entry.",
  ].join('\n') + '\n';

/** The README's section between `<!-- settings:begin -->` and `<!-- settings:end -->` (readme-settings.test.ts). */
export function readmeSettingsSection(): string {
  const source =
    'Generated from `targets/w3/config/schema.ts` (`UPDATE_SCHEMA=1 npx jest targets/w3/config` rewrites this ' +
    'table,\n`SETTINGS.md` and `w3-config.schema.json` beside it, the JSON Schema editors read through `"$schema"`).';
  return `\n## Configuration settings\n\n${source}\n${SETTINGS_INTRO}\n${settingsMarkdownTable().trim()}\n`;
}
