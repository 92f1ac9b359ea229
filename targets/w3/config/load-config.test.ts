import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from './index';
import { makeFixtureDir, minimal, removeFixtureDir } from './test-support/fixtures';

let dir: string;
beforeAll(() => {
  dir = makeFixtureDir();
});
afterAll(() => {
  removeFixtureDir(dir);
});

describe('loadConfig', () => {
  it('loads JSON relative to the file folder', () => {
    const file = path.join(dir, 'w3.json');
    fs.writeFileSync(file, '\uFEFF' + JSON.stringify(minimal()));
    const cfg = loadConfig(file);
    expect(cfg.file).toBe(file);
    expect(cfg.baseDir).toBe(dir);
  });

  it('loads YAML (.yaml and .yml), keeping timespans as strings', () => {
    const yaml = [
      'listen: { port: 0 }',
      'pools:',
      '  - name: app',
      '    processModel:',
      '      pingInterval: 200ms',
      '      startupTimeLimit: 00:00:05',
      'applications:',
      '  - { path: /, pool: app, module: ./apps/hello.js }',
      '',
    ].join('\n');
    for (const name of ['w3.yaml', 'w3.yml']) {
      fs.writeFileSync(path.join(dir, name), yaml);
      const cfg = loadConfig(path.join(dir, name));
      expect(cfg.listen.port).toBe(0);
      expect(cfg.pools[0]!.processModel).toMatchObject({ pingInterval: 200, startupTimeLimit: 5000 });
    }
  });

  it('names the file when it is missing', () => {
    const file = path.join(dir, 'missing.json');
    expect(() => loadConfig(file)).toThrow(`invalid config ${file}: file not found`);
  });

  it('names the file and the position on a JSON syntax error', () => {
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, '{\n  "pools": []\n  "applications": []\n}'); // missing comma
    expect(() => loadConfig(file)).toThrow(
      new RegExp(`^invalid config ${file}: JSON syntax error: .*\\(line 3 column 3\\)$`),
    );
    // V8 quotes the text around some errors; the message stays on one line
    fs.writeFileSync(file, '{\n  "pools": [,]\n}');
    expect(() => loadConfig(file)).toThrow(
      new RegExp(`^invalid config ${file}: JSON syntax error: Unexpected token ',', [^\\n]*$`),
    );
  });

  it('names the file on a YAML syntax error and on an unknown extension', () => {
    const bad = path.join(dir, 'broken.yaml');
    fs.writeFileSync(bad, 'pools: [\n');
    expect(() => loadConfig(bad)).toThrow(new RegExp(`^invalid config ${bad}: YAML syntax error`));
    const toml = path.join(dir, 'w3.toml');
    fs.writeFileSync(toml, '');
    expect(() => loadConfig(toml)).toThrow(
      `invalid config ${toml}: unknown config file type ".toml" (use .json, .yaml or .yml)`,
    );
  });

  it('loads the shipped example', () => {
    const example = path.join(__dirname, '..', 'examples', 'hello.json');
    const cfg = loadConfig(example);
    expect(cfg.applications[0]!.module).toBe(path.resolve(__dirname, '..', '..', 'apps', 'hello.js'));
    expect(cfg.admin.socket).toBe(path.join(path.dirname(example), 'w3-admin.sock'));
    expect(cfg.pools.map((p) => p.name)).toEqual(['app']);
  });
});
