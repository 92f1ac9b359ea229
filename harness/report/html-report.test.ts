import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { escapeHtml, jsonForScript, renderHtmlReport, writeHtmlReport } from './html-report';
import { buildReportData } from './report-data';
import { loadRun } from './run-files';
import { writeSyntheticRun } from './test-support/synthetic-run';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'html-report-'));
const NASTY = `</script><img src=x onerror="alert(1)"> & '\u2028'`;

describe('report.html', () => {
  it('is self-contained: uPlot and the data inlined, no external URL loaded', () => {
    const html = fs.readFileSync(writeHtmlReport(writeSyntheticRun(tmp())), 'utf8');
    expect(html).toContain('uPlot');
    expect(html).toContain('<script type="application/json" id="report-data">');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html.match(/<script/g)).toHaveLength(3);
  });

  it('escapes what a run recorded, in the markup and in the inlined JSON', () => {
    const html = fs.readFileSync(writeHtmlReport(writeSyntheticRun(tmp(), { nasty: NASTY })), 'utf8');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;');
    expect(html.match(/<\/script/gi)).toHaveLength(3); // only the three real script elements end
    const json = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(json!).meta.description).toContain(NASTY);
  });

  it('renders a run cut short (no results.json) with the timeline and without checks', () => {
    const dir = writeSyntheticRun(tmp());
    fs.rmSync(path.join(dir, 'results.json'));
    const data = buildReportData(loadRun(dir));
    expect(data.meta.valid).toBe(true); // run.json still carries the runner's verdict
    expect(data.checks).toEqual([]);
    expect(data.stats).toBeNull();
    const html = renderHtmlReport(data, { uplotJs: '', uplotCss: '' });
    expect(html).toContain('No checks were recorded.');
    expect(html).toContain('id="chart-workers"');
  });

  it('escape helpers', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(jsonForScript({ s: '</script><!--&\u2028' })).toBe('{"s":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028"}');
  });
});
