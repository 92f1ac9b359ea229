// Application folders for an image build context, without Docker: what is placed (symlinks inside kept, outside
// followed, .git left out), with which modes (folders 0755, a file others cannot read copied readable), the
// fingerprint changing exactly when the folder does, and the refusal of a folder too large to be an app.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppContextError, hashAppDirs, listAppEntries, stageAppDirs, type AppDir } from './app-context';

let tmp: string;
let app: string;
let outside: string;
const write = (p: string, content: string, mode = 0o644): void => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content, { mode });
  fs.chmodSync(p, mode);
};

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-appctx-'));
  app = path.join(tmp, 'my-app');
  outside = path.join(tmp, 'linked-pkg');
  write(path.join(app, 'package.json'), '{"name":"my-app"}');
  write(path.join(app, 'server.js'), 'module.exports = () => {};');
  write(path.join(app, 'secret-mode.js'), 'module.exports = 1;', 0o600);
  write(path.join(app, 'bin', 'run'), '#!/usr/bin/env node', 0o700);
  write(path.join(app, 'node_modules', 'dep', 'index.js'), 'module.exports = "dep";');
  write(path.join(app, '.git', 'HEAD'), 'ref: refs/heads/main');
  write(path.join(outside, 'index.js'), 'module.exports = "linked";');
  fs.symlinkSync('dep', path.join(app, 'node_modules', 'alias'), 'dir'); // relative, inside: kept
  fs.symlinkSync(outside, path.join(app, 'node_modules', 'linked'), 'dir'); // npm link style: followed
  fs.symlinkSync(path.join(tmp, 'nowhere'), path.join(app, 'dangling'));
  fs.chmodSync(app, 0o700); // as mkdtemp makes them
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('entries: .git left out, inside symlinks kept, outside ones followed, dangling ones dropped', () => {
  const entries = listAppEntries(app).map((e) => `${e.kind} ${e.rel}${e.link ? ` -> ${e.link}` : ''}`);
  expect(entries).toEqual([
    'dir bin',
    'file bin/run',
    'dir node_modules',
    'symlink node_modules/alias -> dep',
    'dir node_modules/dep',
    'file node_modules/dep/index.js',
    'dir node_modules/linked',
    'file node_modules/linked/index.js',
    'file package.json',
    'file secret-mode.js',
    'file server.js',
  ]);
});

test('staging: folders 0755, unreadable files copied readable (executables stay executable), links as links', () => {
  const ctx = path.join(tmp, 'ctx');
  fs.mkdirSync(ctx);
  const dirs: AppDir[] = [{ hostDir: app, containerDir: '/srv/apps/my-app' }];
  stageAppDirs(ctx, dirs, () => 'apps/my-app');
  const staged = path.join(ctx, 'apps', 'my-app');
  const mode = (rel: string): string => (fs.statSync(path.join(staged, rel)).mode & 0o777).toString(8);
  expect([mode('.'), mode('bin'), mode('node_modules/dep')]).toEqual(['755', '755', '755']);
  expect(mode('secret-mode.js')).toBe('644');
  expect(mode('bin/run')).toBe('755');
  expect((fs.statSync(path.join(app, 'secret-mode.js')).mode & 0o777).toString(8)).toBe('600'); // original untouched
  expect(fs.readlinkSync(path.join(staged, 'node_modules', 'alias'))).toBe('dep');
  expect(fs.lstatSync(path.join(staged, 'node_modules', 'linked')).isDirectory()).toBe(true);
  expect(fs.readFileSync(path.join(staged, 'node_modules', 'linked', 'index.js'), 'utf8')).toBe(
    'module.exports = "linked";',
  );
  expect(fs.existsSync(path.join(staged, '.git'))).toBe(false);
  // A readable file is a hard link to the original (no data copied).
  expect(fs.statSync(path.join(staged, 'server.js')).ino).toBe(fs.statSync(path.join(app, 'server.js')).ino);
});

test('fingerprint: stable, and changed by a content change, a new file, a mode, or another container path', () => {
  const dirs: AppDir[] = [{ hostDir: app, containerDir: '/srv/apps/my-app' }];
  const h0 = hashAppDirs(dirs, 'base@1');
  expect(hashAppDirs(dirs, 'base@1')).toBe(h0);
  expect(hashAppDirs(dirs, 'base@2')).not.toBe(h0);
  expect(hashAppDirs([{ ...dirs[0]!, containerDir: '/srv/apps/other' }], 'base@1')).not.toBe(h0);
  write(path.join(app, 'server.js'), 'module.exports = () => { return 2; };');
  const h1 = hashAppDirs(dirs, 'base@1');
  expect(h1).not.toBe(h0);
  write(path.join(app, 'node_modules', 'dep', 'extra.js'), '');
  const h2 = hashAppDirs(dirs, 'base@1');
  expect(h2).not.toBe(h1);
  fs.chmodSync(path.join(app, 'server.js'), 0o600);
  const h3 = hashAppDirs(dirs, 'base@1');
  expect(h3).not.toBe(h2);
  write(path.join(app, '.git', 'HEAD'), 'ref: refs/heads/other-branch'); // not in the image: no rebuild
  expect(hashAppDirs(dirs, 'base@1')).toBe(h3);
});

test('a folder with too many entries is refused with the reason', () => {
  expect(() => listAppEntries(app, 5)).toThrow(AppContextError);
  expect(() => listAppEntries(app, 5)).toThrow(/has more than 5 files and folders: put the app in a folder of its own/);
});
