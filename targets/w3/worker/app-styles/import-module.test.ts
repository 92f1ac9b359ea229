// Loading application modules of every module system, in a real Node process (Jest's module system cannot load ES
// modules): CommonJS, an ES module require() can load, and one with top-level await that needs import(). Runs the
// built loader from dist/ (npm run build).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../util/compiled-path';

const LOADER = path.join(repoRoot(), 'dist', 'targets', 'w3', 'worker', 'load-app.js');
let dir: string;

beforeAll(() => {
  if (!fs.existsSync(LOADER)) throw new Error(`${LOADER} is missing: run npm run build`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3-import-'));
  fs.writeFileSync(path.join(dir, 'cjs.js'), 'module.exports = (req, res) => res.end("cjs");\n');
  fs.writeFileSync(path.join(dir, 'esm.mjs'), 'export default { fetch: () => new Response("esm") };\n');
  fs.writeFileSync(
    path.join(dir, 'tla.mjs'),
    'const ready = await new Promise((r) => setTimeout(() => r(true), 10));\n' +
      'export async function createApp() { return (request) => new Response(String(ready)); }\n',
  );
  fs.writeFileSync(path.join(dir, 'broken.mjs'), 'export default 42;\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function load(file: string): { status: number | null; out: string } {
  const script =
    `require(${JSON.stringify(LOADER)}).loadApp(process.argv[1])` +
    '.then((a) => console.log("style=" + a.style), ' +
    '(e) => { console.log(e.code + ": " + e.message); process.exitCode = 3; })';
  const r = spawnSync(process.execPath, ['-e', script, path.join(dir, file)], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

test('CommonJS, ES module, and ES module with top-level await', () => {
  expect(load('cjs.js')).toEqual({ status: 0, out: 'style=node' });
  expect(load('esm.mjs')).toEqual({ status: 0, out: 'style=fetch' });
  expect(load('tla.mjs')).toEqual({ status: 0, out: 'style=fetch' });
});

test('an ES module exporting nothing usable gets the same clear error', () => {
  const r = load('broken.mjs');
  expect(r.status).toBe(3);
  expect(r.out).toContain(
    `W3_ERR_APP_LOAD: application module ${path.join(dir, 'broken.mjs')} exports no app w3 can serve`,
  );
  expect(r.out).toContain('the default export is a number (42)');
});
