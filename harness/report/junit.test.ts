import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderJunit, writeJunit, writeRunJunit, xmlAttr, xmlText } from './junit';
import { loadRun } from './run-files';
import { writeSyntheticRun } from './test-support/synthetic-run';
import { childrenNamed, parseXml } from './test-support/xml-check';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'junit-'));

describe('xml escaping', () => {
  it('escapes markup characters and quotes, and keeps line breaks in attributes', () => {
    expect(xmlText('a<b & c>d "q"')).toBe('a&lt;b &amp; c&gt;d "q"');
    expect(xmlAttr(`x="1" & 'y'\nz\t`)).toBe('x=&quot;1&quot; &amp; &apos;y&apos;&#10;z&#9;');
  });

  it('replaces characters XML 1.0 cannot carry', () => {
    expect(xmlText('a\u0000b\u001bc\uFFFFd\uD800e')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe');
    expect(xmlText('emoji \u{1F600} stays')).toBe('emoji \u{1F600} stays');
  });
});

describe('junit.xml', () => {
  it('has one well-formed suite per run and one testcase per check, passing ones empty', () => {
    const file = writeRunJunit(writeSyntheticRun(tmp()));
    const doc = parseXml(fs.readFileSync(file, 'utf8'));
    expect(doc.name).toBe('testsuites');
    const [suite, ...rest] = childrenNamed(doc, 'testsuite');
    expect(rest).toHaveLength(0);
    expect(suite!.attrs).toMatchObject({
      name: 'overlapped-recycle [w3]',
      tests: '3',
      failures: '0',
      errors: '0',
      skipped: '0',
    });
    const cases = childrenNamed(suite!, 'testcase');
    expect(cases.map((c) => [c.attrs['classname'], c.attrs['name'], c.children.length])).toEqual([
      ['overlapped-recycle.w3', 'connectionsSurvive', 0],
      ['overlapped-recycle.w3', 'noFailedRequests', 0],
      ['overlapped-recycle.w3', 'overlappedRecycleCompletes', 0],
    ]);
    const props = childrenNamed(childrenNamed(suite!, 'properties')[0]!, 'property');
    expect(props.find((p) => p.attrs['name'] === 'seed')?.attrs['value']).toBe('42');
    expect(childrenNamed(suite!, 'system-out')[0]!.text).toContain('# overlapped-recycle — PASS');
  });

  it('carries failed checks as failures with their details, hostile text included', () => {
    const nasty = `</failure><x a="1"> & 'q' \u0001\u0007 ]]> \uD83D`;
    const dir = writeSyntheticRun(tmp(), { degraded: true, nasty });
    const xml = renderJunit([loadRun(dir)]);
    const suite = childrenNamed(parseXml(xml), 'testsuite')[0]!;
    expect(suite.attrs).toMatchObject({ tests: '3', failures: '3', errors: '0' });
    const first = childrenNamed(suite, 'testcase')[0]!;
    const failure = childrenNamed(first, 'failure')[0]!;
    expect(failure.attrs['type']).toBe('CheckFailed');
    expect(failure.attrs['message']).toContain(`</failure><x a="1"> & 'q' \uFFFD\uFFFD ]]> \uFFFD`);
    expect(failure.text).toContain('"note"'); // the details JSON
    expect(failure.text).toContain('closed by the server');
  });

  it('makes an unknown verdict an error, and a run without results.json an error testcase', () => {
    const dir = writeSyntheticRun(tmp());
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    results.checks[2].verdict = { valid: 'unknown', summary: 'Only 0 recycles observed.', details: {} };
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results));
    const crashed = writeSyntheticRun(tmp(), { scenario: 'worker-crash' });
    fs.rmSync(path.join(crashed, 'results.json'));
    const file = writeJunit([dir, crashed], path.join(tmp(), 'out', 'junit.xml'));
    const doc = parseXml(fs.readFileSync(file, 'utf8'));
    expect(doc.attrs).toMatchObject({ tests: '4', failures: '0', errors: '2' });
    const [a, b] = childrenNamed(doc, 'testsuite');
    expect(childrenNamed(childrenNamed(a!, 'testcase')[2]!, 'error')[0]!.attrs).toMatchObject({
      type: 'Unknown',
      message: 'Only 0 recycles observed.',
    });
    const crashCase = childrenNamed(b!, 'testcase')[0]!;
    expect(crashCase.attrs['name']).toBe('run');
    expect(childrenNamed(crashCase, 'error')[0]!.attrs['type']).toBe('RunError');
  });

  it('the checker itself rejects malformed XML', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x="<">t</a>')).toThrow();
    expect(() => parseXml('<a>1 & 2</a>')).toThrow();
    expect(() => parseXml('<a>\u0001</a>')).toThrow();
  });
});
