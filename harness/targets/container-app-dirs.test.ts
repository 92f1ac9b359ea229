// Which host paths go into a container image and where, without Docker: files the lab image holds map under
// /opt/w3lab, an app elsewhere brings its package folder (node_modules included) to /srv/apps/<name>, an app in
// the repository outside the image brings its own folder, nested and colliding folders are resolved, and paths
// that cannot work are settings errors naming the field before anything is built.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImagePaths, appFolderOf } from './container-app-dirs';
import { w3ConfigForContainer } from './container-paths';
import { isTargetError } from './errors';

const INCLUDES = ['package.json', 'bin', 'dist', 'targets/apps', 'node_modules'];
let tmp: string;
let repo: string;
const write = (p: string, content = ''): string => {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
};

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-appdirs-'));
  repo = path.join(tmp, 'w3lab');
  write(path.join(repo, 'package.json'), '{"name":"w3lab"}');
  write(path.join(repo, 'targets', 'apps', 'hello.js'));
  write(path.join(repo, 'examples', 'myapp', 'app.js'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the application folder: nearest package.json, never the lab repository, else the file folder', () => {
  const proj = path.join(tmp, 'proj');
  write(path.join(proj, 'package.json'), '{}');
  const deep = write(path.join(proj, 'src', 'server', 'app.js'));
  expect(appFolderOf(deep, 'file', repo)).toBe(proj);
  expect(appFolderOf(path.join(repo, 'examples', 'myapp', 'app.js'), 'file', repo)).toBe(
    path.join(repo, 'examples', 'myapp'),
  );
  const loose = write(path.join(tmp, 'loose', 'app.js'));
  expect(appFolderOf(loose, 'file', repo)).toBe(path.join(tmp, 'loose'));
  expect(appFolderOf(path.join(tmp, 'loose'), 'dir', repo)).toBe(path.join(tmp, 'loose'));
});

test('image files, a repository app outside the image, outside apps, nesting and name collisions', () => {
  const a = path.join(tmp, 'a', 'svc');
  const b = path.join(tmp, 'b', 'svc');
  write(path.join(a, 'package.json'), '{}');
  write(path.join(b, 'package.json'), '{}');
  const paths = new ImagePaths(repo, INCLUDES, [
    { hostPath: path.join(repo, 'targets', 'apps', 'hello.js'), at: 'm0', kind: 'file' },
    { hostPath: path.join(repo, 'examples', 'myapp', 'app.js'), at: 'm1', kind: 'file' },
    { hostPath: write(path.join(a, 'lib', 'index.js')), at: 'm2', kind: 'file' },
    { hostPath: write(path.join(a, 'index.js')), at: 'm3', kind: 'file' },
    { hostPath: path.join(a, 'lib'), at: 'cwd', kind: 'dir' },
    { hostPath: write(path.join(b, 'index.js')), at: 'm4', kind: 'file' },
  ]);
  expect(paths.appDirs()).toEqual([
    { hostDir: a, containerDir: '/srv/apps/svc' },
    { hostDir: b, containerDir: '/srv/apps/svc-2' },
    { hostDir: path.join(repo, 'examples', 'myapp'), containerDir: '/srv/apps/myapp' },
  ]);
  expect(paths.map(path.join(repo, 'targets', 'apps', 'hello.js'), 'x')).toBe('/opt/w3lab/targets/apps/hello.js');
  expect(paths.map(path.join(repo, 'examples', 'myapp', 'app.js'), 'x')).toBe('/srv/apps/myapp/app.js');
  expect(paths.map(path.join(a, 'lib', 'index.js'), 'x')).toBe('/srv/apps/svc/lib/index.js');
  expect(paths.map(path.join(a, 'lib'), 'x')).toBe('/srv/apps/svc/lib');
  expect(paths.map(path.join(b, 'index.js'), 'x')).toBe('/srv/apps/svc-2/index.js');
  expect(paths.tryMap('/usr/bin/python3')).toBeNull();
});

test('settings errors: a missing module, a cwd that is a file, an app file loose in the temp folder', () => {
  const err = (fn: () => unknown): Error => {
    try {
      fn();
    } catch (e) {
      return e as Error;
    }
    throw new Error('expected an error');
  };
  const missing = err(
    () =>
      new ImagePaths(repo, INCLUDES, [
        { hostPath: path.join(tmp, 'nope.js'), at: 'settings.config.applications.0.module', kind: 'file' },
      ]),
  );
  expect(isTargetError(missing, 'LAB_ERR_TARGET_SETTINGS')).toBe(true);
  expect(missing.message).toBe(
    `settings.config.applications.0.module: ${path.join(tmp, 'nope.js')} does not exist (runtime "container")`,
  );
  const notDir = err(
    () => new ImagePaths(repo, INCLUDES, [{ hostPath: path.join(repo, 'package.json'), at: 'cwd', kind: 'dir' }]),
  );
  expect(notDir.message).toMatch(/cwd: .* is not a folder/);
  const loose = path.join(os.tmpdir(), `w3lab-loose-${process.pid}.js`);
  fs.writeFileSync(loose, '');
  try {
    const refused = err(() => new ImagePaths(repo, INCLUDES, [{ hostPath: loose, at: 'm', kind: 'file' }]));
    expect(refused.message).toMatch(/lies directly in .*: put the app in a folder of its own/);
  } finally {
    fs.rmSync(loose);
  }
});

test('w3 config: modules, cwd and command files mapped; system binaries and package names left alone', () => {
  const app = path.join(tmp, 'shop');
  write(path.join(app, 'package.json'), '{}');
  const server = write(path.join(app, 'server.js'));
  const py = path.join(tmp, 'pyapp');
  write(path.join(py, 'app.py'));
  const config = {
    pools: [{ name: 'a' }],
    applications: [
      { path: '/', pool: 'a', module: server },
      { path: '/pkg', pool: 'a', module: 'some-installed-package' },
      { path: '/n', pool: 'b', command: [process.execPath, path.join(app, 'server.js'), '--flag'] },
      { path: '/py', pool: 'c', command: ['/usr/bin/python3', path.join(py, 'app.py')], cwd: py },
    ],
    logging: { httpErrLog: path.join(tmp, 'run', 'httperr.log') },
  };
  const out = w3ConfigForContainer(config, path.join(tmp, 'run'), repo, INCLUDES);
  expect(out.config['applications']).toEqual([
    { path: '/', pool: 'a', module: '/srv/apps/shop/server.js' },
    { path: '/pkg', pool: 'a', module: 'some-installed-package' },
    { path: '/n', pool: 'b', command: ['node', '/srv/apps/shop/server.js', '--flag'] },
    { path: '/py', pool: 'c', command: ['/usr/bin/python3', '/srv/apps/pyapp/app.py'], cwd: '/srv/apps/pyapp' },
  ]);
  expect(out.appDirs.map((d) => d.hostDir)).toEqual([app, py]);
  expect(out.copyOut).toEqual([{ from: '/run/w3/httperr.log', to: path.join(tmp, 'run', 'httperr.log') }]);
});
