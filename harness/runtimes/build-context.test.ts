// Build contexts without Docker: production packages come from the lockfile (dev-only ones are left out, also
// when nested), staging keeps the repository layout, and the input hash changes exactly when an input does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashBuildInputs, productionPackages, stageBuildContext, type BuildContextSpec } from './build-context';

function write(root: string, rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

describe('build context', () => {
  let root: string;
  let spec: BuildContextSpec;
  const staged: string[] = [];

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-ctx-'));
    write(root, 'package.json', '{}');
    write(
      root,
      'package-lock.json',
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': {},
          'node_modules/pino': {},
          'node_modules/pino/node_modules/sonic': {},
          'node_modules/pino/node_modules/devonly': { dev: true },
          'node_modules/jest': { dev: true },
          'node_modules/fsevents': { devOptional: true },
        },
      }),
    );
    write(root, 'node_modules/pino/index.js', 'pino');
    write(root, 'node_modules/pino/index.d.ts', 'types');
    write(root, 'node_modules/pino/node_modules/sonic/index.js', 'sonic');
    write(root, 'node_modules/pino/node_modules/devonly/index.js', 'dev');
    write(root, 'node_modules/jest/index.js', 'jest');
    write(root, 'dist/a.js', 'a');
    write(root, 'Dockerfile.test', 'FROM x');
    spec = { root, dockerfile: 'Dockerfile.test', include: ['package.json', 'dist', 'node_modules'] };
  });

  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
    for (const d of staged.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  test('production packages exclude dev and devOptional ones, nested included', () => {
    expect(productionPackages(root)).toEqual(['node_modules/pino', 'node_modules/pino/node_modules/sonic']);
  });

  test('staging keeps the layout and leaves dev-only packages out', () => {
    const dir = stageBuildContext(spec);
    staged.push(dir);
    expect(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toBe('FROM x');
    expect(fs.readFileSync(path.join(dir, 'dist/a.js'), 'utf8')).toBe('a');
    expect(fs.existsSync(path.join(dir, 'node_modules/pino/index.js'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'node_modules/pino/node_modules/sonic/index.js'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'node_modules/pino/node_modules/devonly'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'node_modules/jest'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'node_modules/pino/index.d.ts'))).toBe(false);
  });

  test('the hash changes with dist content, the Dockerfile and the extra input, not with dev packages', () => {
    const h0 = hashBuildInputs(spec);
    expect(hashBuildInputs(spec)).toBe(h0);
    write(root, 'node_modules/jest/index.js', 'jest 2');
    expect(hashBuildInputs(spec)).toBe(h0);
    write(root, 'dist/a.js', 'a2');
    const h1 = hashBuildInputs(spec);
    expect(h1).not.toBe(h0);
    write(root, 'Dockerfile.test', 'FROM y');
    expect(hashBuildInputs(spec)).not.toBe(h1);
    expect(hashBuildInputs({ ...spec, extraHashInput: 'base@sha256:1' })).not.toBe(hashBuildInputs(spec));
  });

  test('a missing input is an error that says to build', () => {
    fs.rmSync(path.join(root, 'dist'), { recursive: true });
    expect(() => hashBuildInputs(spec)).toThrow(/npm run build/);
  });
});
