// Opens report.html in headless Chromium, the way a person would: the page loads without errors, draws its five
// charts (the fifth: memory per worker), and a screenshot lands in the run folder. Chromium comes from Debian
// (installed here when missing); when it cannot be had the test fails with the reason (W3LAB_ALLOW_NO_BROWSER=1
// declares a machine without a browser).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeHtmlReport } from './html-report';
import { writeSyntheticRun } from './test-support/synthetic-run';
import { ensureChromium, pageProblems, runChromium } from './test-support/chromium';

const chromium = ensureChromium();

if ('reason' in chromium) {
  // Without a browser the report is not tested: the file fails, naming why, so such a run never looks green. Only
  // a machine that declares it has none (W3LAB_ALLOW_NO_BROWSER=1) gets instead one test that the reason is stated.
  process.stderr.write(`report-browser.test: no Chromium — ${chromium.reason}\n`);
  describe('report.html in headless Chromium', () => {
    if (process.env['W3LAB_ALLOW_NO_BROWSER'] === '1') {
      test(`declared without a browser: the reason is stated (${chromium.reason})`, () => {
        expect(chromium.reason).toMatch(/\S/);
      });
    } else {
      test('needs Chromium (set W3LAB_ALLOW_NO_BROWSER=1 on a machine without one)', () => {
        throw new Error(chromium.reason);
      });
    }
  });
} else {
  describeInChromium(chromium.bin);
}

function describeInChromium(bin: string): void {
  describe('report.html in headless Chromium', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-report-browser-'));

    it.each([
      ['normal', false],
      ['degraded', true],
    ])(
      'a %s run: loads without errors, draws 5 charts, saves a screenshot',
      (name, degraded) => {
        const runDir = writeSyntheticRun(path.join(root, name), {
          degraded,
          nasty: '<script>window.__pwned=1</script> & "quotes"',
        });
        const html = writeHtmlReport(runDir);

        const dom = runChromium(bin, html, ['--virtual-time-budget=3000', '--dump-dom']);
        expect(dom.status).toBe(0);
        expect(pageProblems(dom.stderr)).toEqual([]);
        expect(dom.stdout).toContain('data-charts-drawn="5"');
        expect(dom.stdout).not.toContain('data-report-error');
        expect(dom.stdout).toContain('class="u-wrap"'); // uPlot built its canvases
        expect(dom.stdout).not.toContain('<script>window.__pwned'); // the injected text stayed text

        const png = path.join(runDir, 'report.png');
        const shot = runChromium(bin, html, ['--virtual-time-budget=3000', `--screenshot=${png}`]);
        expect(shot.status).toBe(0);
        expect(pageProblems(shot.stderr)).toEqual([]);
        const bytes = fs.readFileSync(png);
        expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
        expect(bytes.length).toBeGreaterThan(20_000); // a blank page is a few kB
        process.stdout.write(`report screenshot: ${png}\n`);
      },
      240_000,
    );
  });
}
