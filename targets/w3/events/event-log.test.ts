// The event log's memory is bounded by count and bytes (a ring, oldest out first) and oversized fields are cut.
import { EventLog, MAX_FIELD_CHARS } from './event-log';
import { silentLogger } from '../util/logger';

describe('event log ring', () => {
  it('keeps at most `capacity` events, oldest out first, in order', () => {
    const log = new EventLog(silentLogger(), 5, 1 << 20);
    for (let i = 0; i < 12; i++) log.emit({ type: 'QueueFull', pool: 'p', queueLength: i, t: 1000 + i });
    expect(log.since().map((e) => e['queueLength'])).toEqual([7, 8, 9, 10, 11]);
    expect(log.since(1010).map((e) => e['queueLength'])).toEqual([10, 11]);
    expect(log.stats().events).toBe(5);
  });

  it('keeps at most `maxBytes` of JSON, whatever the count', () => {
    const log = new EventLog(silentLogger(), 1000, 4096);
    for (let i = 0; i < 200; i++) log.emit({ type: 'ConfigReloadRejected', reason: 'x'.repeat(500) });
    const { events, bytes } = log.stats();
    expect(bytes).toBeLessThanOrEqual(4096);
    expect(events).toBeGreaterThan(0);
    expect(events).toBeLessThan(10);
    expect(log.linesSince().join('').length).toBe(bytes);
  });

  it('cuts an oversized string field (a 15 KB URL, a 64 MB reason) and says how much was cut', () => {
    const log = new EventLog(silentLogger());
    const e = log.emit({
      type: 'RequestRetried',
      pool: 'p',
      url: '/' + 'a'.repeat(15_800),
      error: 'y'.repeat(64 * 1024),
    });
    expect(String(e['url']).length).toBeLessThan(MAX_FIELD_CHARS + 64);
    expect(String(e['url'])).toMatch(/…\[14777 more characters cut\]$/);
    expect(String(e['error']).length).toBeLessThan(MAX_FIELD_CHARS + 64);
    expect(log.stats().bytes).toBeLessThan(3 * MAX_FIELD_CHARS);
  });

  it('a full ring keeps working at its bound (a moving head, no shift of the whole array)', () => {
    const log = new EventLog(silentLogger(), 20_000);
    for (let i = 0; i < 20_000; i++) log.emit({ type: 'QueueFull', pool: 'p', queueLength: i });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 50_000; i++) log.emit({ type: 'QueueFull', pool: 'p', queueLength: i });
    const perEventUs = Number(process.hrtime.bigint() - t0) / 1000 / 50_000;
    expect(log.stats().events).toBe(20_000);
    expect(log.since()[0]!['queueLength']).toBe(30_000);
    console.log(`event log: ${perEventUs.toFixed(2)} µs per event with a full ring of 20,000`);
  });
});
