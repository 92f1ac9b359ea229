import { findExecutable, findTool } from './tools';

describe('findTool', () => {
  it('finds an installed program and its version line', () => {
    const r = findTool({ name: 'node', debianPackage: 'nodejs', versionArgs: ['--version'] });
    // node may live outside the usual folders (nvm); PATH is searched too.
    expect(r.available).toBe(true);
    if (r.available) expect(r.version).toMatch(/^v\d+/);
  });

  it('names the exact package to install when the program is missing', () => {
    const r = findTool({ name: 'w3lab-no-such-program', debianPackage: 'w3lab-pkg', versionArgs: [] });
    expect(r).toEqual({ available: false, reason: expect.stringContaining('apt-get install -y w3lab-pkg') });
    expect(findExecutable('w3lab-no-such-program', '/nonexistent')).toBeNull();
  });
});
