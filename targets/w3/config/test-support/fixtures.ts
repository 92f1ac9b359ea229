// Shared fixtures of the config tests: a temp folder with an app module, a package and a command folder, the
// smallest valid config, and a helper that returns the ConfigError issues of an invalid one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, parseConfig } from '../index';

/** Creates the fixture folder; call removeFixtureDir in afterAll. */
export function makeFixtureDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3cfg-'));
  fs.mkdirSync(path.join(dir, 'apps'));
  fs.writeFileSync(path.join(dir, 'apps', 'hello.js'), 'module.exports = (req, res) => res.end("hi");\n');
  fs.mkdirSync(path.join(dir, 'node_modules', 'fake-app'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'fake-app', 'index.js'), 'module.exports = () => {};\n');
  fs.mkdirSync(path.join(dir, 'py'));
  return dir;
}

export function removeFixtureDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The smallest valid file: one pool, one module application (relative to the fixture folder). */
export function minimal(): Record<string, unknown> {
  return {
    pools: [{ name: 'app' }],
    applications: [{ path: '/', pool: 'app', module: './apps/hello.js' }],
  };
}

/** The issues parseConfig reports for `raw`; fails the test when it does not throw a ConfigError. */
export function issuesOf(raw: unknown, baseDir: string): { path: string; message: string }[] {
  try {
    parseConfig(raw, { baseDir });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues;
  }
  throw new Error('expected a ConfigError');
}
