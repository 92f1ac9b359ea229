import fs from 'node:fs';
import path from 'node:path';
import { eventsTableMarkdown, LAB_EVENT_TYPES, labEvent, readLabEvent } from '.';

const README = path.join(__dirname, '..', '..', 'README.md');
const between = (text: string): string | undefined =>
  /<!-- events-table:start -->\n([\s\S]*?)\n<!-- events-table:end -->/.exec(text)?.[1];

describe('the lab event vocabulary', () => {
  it('is documented in the README exactly as the schema says (UPDATE_README=1 rewrites the table)', () => {
    const text = fs.readFileSync(README, 'utf8');
    const table = eventsTableMarkdown();
    if (process.env['UPDATE_README'] === '1') {
      fs.writeFileSync(
        README,
        text.replace(/(<!-- events-table:start -->\n)[\s\S]*?(\n<!-- events-table:end -->)/, `$1${table}$2`),
      );
      return;
    }
    expect(between(text)).toBe(table);
  });

  it('names no IIS event id and no w3-only reason', () => {
    expect(LAB_EVENT_TYPES).toContain('WorkerCrashed');
    expect(eventsTableMarkdown()).not.toMatch(/eventId|OnDemand|RapidFail\b|PrivateMemory|\b5\d{3}\b/);
  });

  it('builds events with the typed constructor, leaving undefined fields out', () => {
    const e = labEvent('WorkerReady', { t: 1, source: 'w3', pool: 'app', pid: 7, startupMs: undefined });
    expect(e).toEqual({ type: 'WorkerReady', t: 1, source: 'w3', pool: 'app', pid: 7 });
    expect(Object.keys(e)).not.toContain('startupMs');
  });

  it('reads back what it wrote, and names what is wrong with a line that is not a lab event', () => {
    const e = labEvent('WorkerCrashed', {
      t: 1,
      source: 'x',
      pool: 'p',
      pid: 2,
      exitCode: null,
      signal: 'SIGKILL',
      duringStartup: false,
    });
    expect(readLabEvent(JSON.parse(JSON.stringify(e)))).toEqual({ ok: true, event: e });
    const missing = readLabEvent({ t: 1, type: 'WorkerCrashed', source: 'x', pool: 'p', pid: 2 });
    expect(missing).toMatchObject({ ok: false, reason: expect.stringMatching(/^exitCode: /) });
    expect(
      readLabEvent({ t: 1, type: 'RecycleStarted', source: 'x', pool: 'p', pid: 2, recycleId: 1, reason: 'OnDemand' })
        .ok,
    ).toBe(false);
    expect(readLabEvent({ t: 1, type: 'Nope', source: 'x' }).ok).toBe(false);
    // A w3 event as w3 logs it (no source) is not a lab event: adapters map, readers never guess.
    expect(readLabEvent({ t: 1, type: 'HostStarted', eventId: 1 }).ok).toBe(false);
  });

  it('refuses invented fields and missing ones at compile time', () => {
    // The @ts-expect-error lines fail `tsc` (npm test's typecheck) if the constructor ever accepts them.
    const base = { t: 1, source: 'x', pool: 'p', pid: 2 };
    const invented = labEvent('WorkerCrashed', {
      ...base,
      exitCode: null,
      signal: null,
      duringStartup: false,
      // @ts-expect-error a field WorkerCrashed does not have
      oom: true,
    });
    // @ts-expect-error WorkerCrashed needs exitCode, signal and duringStartup
    const missing = labEvent('WorkerCrashed', base);
    // @ts-expect-error reasons are the neutral ones
    const iis = labEvent('RecycleStarted', { ...base, recycleId: 1, reason: 'OnDemand' });
    // And at run time, reading them back: the invented field is dropped, the others are refused.
    const read = readLabEvent(invented);
    expect(read.ok && read.event).not.toHaveProperty('oom');
    expect(readLabEvent(missing).ok).toBe(false);
    expect(readLabEvent(iis).ok).toBe(false);
  });
});
