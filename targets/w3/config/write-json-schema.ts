// Writes the files generated from the schema: w3-config.schema.json (for editors) and SETTINGS.md (for people).
// Both are committed; generated-files.test.ts fails when they are stale and rewrites them with UPDATE_SCHEMA=1.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configJsonSchema } from './json-schema';
import { SETTINGS_INTRO, settingsMarkdownTable } from './settings-table';

export interface GeneratedFile {
  file: string;
  content: string;
}

const SETTINGS_HEADER = `# w3 configuration settings

<!-- Generated from targets/w3/config/schema.ts by write-json-schema.ts; do not edit by hand. -->

${SETTINGS_INTRO}
`;

/** The generated files and their expected contents; `dir` defaults to this folder. */
export function generatedFiles(dir: string = __dirname): GeneratedFile[] {
  return [
    { file: path.join(dir, 'w3-config.schema.json'), content: JSON.stringify(configJsonSchema(), null, 2) + '\n' },
    { file: path.join(dir, 'SETTINGS.md'), content: SETTINGS_HEADER + settingsMarkdownTable() },
  ];
}

/** Writes the generated files (JSON Schema and SETTINGS.md); returns the paths written. */
export function writeJsonSchema(dir: string = __dirname): string[] {
  return generatedFiles(dir).map(({ file, content }) => {
    fs.writeFileSync(file, content);
    return file;
  });
}

// `node dist/targets/w3/config/write-json-schema.js targets/w3/config`: compiled, __dirname is inside dist/, so
// the source folder is passed explicitly.
if (require.main === module) {
  for (const file of writeJsonSchema(process.argv[2] ?? __dirname)) console.log(`wrote ${file}`);
}
