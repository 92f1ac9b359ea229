// Bad configuration files: `w3lab serve` exits with 254 and names the path of what is wrong.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir, APPS } from '../test-support/server';
import { repoRoot } from '../util/compiled-path';

const BIN = path.join(repoRoot(), 'bin', 'w3lab.js');

function serveWith(config: unknown): { status: number | null; stderr: string } {
  const dir = tempDir();
  const file = path.join(dir, 'w3.json');
  fs.writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  const r = spawnSync(process.execPath, [BIN, 'serve', '--config', file], { encoding: 'utf8', timeout: 20000 });
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stderr: r.stderr };
}

const good = () => ({
  listen: { port: 0 },
  pools: [{ name: 'app' }],
  applications: [{ path: '/', pool: 'app', module: path.join(APPS, 'hello.js') }],
});

describe('serve rejects bad config files with exit 254 and the path', () => {
  it('unknown key', () => {
    const c = good();
    (c.pools[0] as Record<string, unknown>)['queueLenght'] = 5;
    const r = serveWith(c);
    expect(r.status).toBe(254);
    expect(r.stderr).toMatch(/pools\.0/);
    expect(r.stderr).toMatch(/queueLenght/);
  });
  it('wrong type', () => {
    const c = good();
    (c.pools[0] as Record<string, unknown>)['queueLength'] = 'many';
    const r = serveWith(c);
    expect(r.status).toBe(254);
    expect(r.stderr).toMatch(/pools\.0\.queueLength/);
  });
  it('bad duration', () => {
    const c = good();
    (c.pools[0] as Record<string, unknown>)['processModel'] = { pingInterval: '3 parsecs' };
    const r = serveWith(c);
    expect(r.status).toBe(254);
    expect(r.stderr).toMatch(/pools\.0\.processModel\.pingInterval/);
  });
  it('missing module', () => {
    const c = good();
    c.applications[0]!.module = './no-such-app.js';
    const r = serveWith(c);
    expect(r.status).toBe(254);
    expect(r.stderr).toMatch(/applications\.0\.module/);
  });
  it('not JSON at all', () => {
    const r = serveWith('{ nope');
    expect(r.status).toBe(254);
    expect(r.stderr).toMatch(/w3\.json/);
  });
});
