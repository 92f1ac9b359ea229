// The README's settings table is generated from the schema: this test fails when they drift apart.
// Regenerate with: UPDATE_SCHEMA=1 npx jest targets/w3/config/readme-settings
import fs from 'node:fs';
import path from 'node:path';
import { readmeSettingsSection } from './settings-table';
import { repoRoot } from '../util/compiled-path';

const README = path.join(repoRoot(), 'README.md');
const BEGIN = '<!-- settings:begin -->';
const END = '<!-- settings:end -->';

test('README settings table matches the config schema', () => {
  const text = fs.readFileSync(README, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  expect(a).toBeGreaterThanOrEqual(0);
  expect(b).toBeGreaterThan(a);
  const want = readmeSettingsSection();
  if (process.env['UPDATE_SCHEMA'] === '1') {
    fs.writeFileSync(README, text.slice(0, a + BEGIN.length) + want + text.slice(b));
    return;
  }
  expect(text.slice(a + BEGIN.length, b)).toBe(want);
});
