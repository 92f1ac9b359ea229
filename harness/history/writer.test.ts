import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HistoryParseError, HistoryWriter, parseHistory, readHistory } from './writer';
import type { HistoryRecord, RequestRecord } from './types';

function req(id: number): RequestRecord {
  return {
    kind: 'request',
    t: 1000 + id,
    id,
    conn: 1,
    method: 'GET',
    path: '/',
    outcome: 'ok',
    status: 200,
    latencyMs: 1,
  };
}

async function waitFor(cond: () => boolean, deadlineMs = 2000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met before deadline');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('HistoryWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'w3lab-history-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('buffers records and writes them as JSON lines within the flush interval', async () => {
    const file = path.join(dir, 'history.jsonl');
    const w = new HistoryWriter(file, { flushIntervalMs: 20 });
    w.append(req(1));
    w.append({ kind: 'mark', t: 5, name: 'fault-injected', fault: 'kill' });
    expect(fs.readFileSync(file, 'utf8')).toBe(''); // still buffered
    await waitFor(() => fs.readFileSync(file, 'utf8').split('\n').length === 3);
    const back = readHistory(file);
    expect(back).toEqual([req(1), { kind: 'mark', t: 5, name: 'fault-injected', fault: 'kill' }]);
    w.close();
  });

  it('flushSync writes immediately and close is idempotent', () => {
    const file = path.join(dir, 'h.jsonl');
    const w = new HistoryWriter(file, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) w.append(req(i));
    w.flushSync();
    expect(readHistory(file)).toHaveLength(10);
    w.append(req(10));
    w.close();
    w.close();
    expect(readHistory(file)).toHaveLength(11);
    expect(w.count).toBe(11);
    expect(() => w.append(req(12))).toThrow(/closed/);
  });

  it('writes early when the buffer grows past maxBufferedBytes', () => {
    const file = path.join(dir, 'big.jsonl');
    const w = new HistoryWriter(file, { flushIntervalMs: 60_000, maxBufferedBytes: 500 });
    for (let i = 0; i < 20; i++) w.append(req(i));
    expect(readHistory(file).length).toBeGreaterThan(0);
    w.close();
    expect(readHistory(file)).toHaveLength(20);
  });

  it('appends to an existing file', () => {
    const file = path.join(dir, 'a.jsonl');
    const a = new HistoryWriter(file);
    a.append(req(1));
    a.close();
    const b = new HistoryWriter(file);
    b.append(req(2));
    b.close();
    expect(readHistory(file).map((r) => (r as RequestRecord).id)).toEqual([1, 2]);
  });

  it('writes large volumes quickly enough that it does not distort the workload', () => {
    const file = path.join(dir, 'volume.jsonl');
    const w = new HistoryWriter(file);
    for (let i = 0; i < 50_000; i++) w.append(req(i));
    w.close();
    expect(readHistory(file)).toHaveLength(50_000);
  });
});

describe('readHistory / parseHistory', () => {
  it('drops a truncated last line', () => {
    const lines = [JSON.stringify(req(1)), JSON.stringify(req(2)), '{"kind":"request","t":1,"id"'];
    const records: HistoryRecord[] = parseHistory(lines.join('\n'));
    expect(records).toHaveLength(2);
  });

  it('accepts an empty file and trailing blank lines', () => {
    expect(parseHistory('')).toEqual([]);
    expect(parseHistory(JSON.stringify(req(1)) + '\n\n')).toHaveLength(1);
  });

  it('raises HistoryParseError with a line number for a corrupt line in the middle', () => {
    const text = [JSON.stringify(req(1)), 'garbage', JSON.stringify(req(2)), ''].join('\n');
    let caught: unknown;
    try {
      parseHistory(text, 'x.jsonl');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HistoryParseError);
    expect((caught as HistoryParseError).line).toBe(2);
    expect((caught as HistoryParseError).code).toBe('LAB_ERR_HISTORY_PARSE');
  });
});
