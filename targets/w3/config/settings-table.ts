// SETTINGS.md's table, generated from the schema so the documentation cannot drift from what w3 accepts.
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
