import { ResponseCache, DEFAULT_MAX_CACHE_SIZE, SLOT_OVERHEAD, MAX_CANDIDATES } from './response-cache';
import type { CacheConfig } from '../config/types';

const config: CacheConfig = {
  enabled: true,
  frequentHitThreshold: 2,
  frequentHitTimePeriod: 10_000,
  maxResponseSize: 1000,
  maxCacheSize: 0,
  scavengerPeriod: 120_000,
};

function setup(over: Partial<CacheConfig> = {}) {
  let now = 1_000_000;
  const pool = { name: 'app', state: 'Started' };
  const cache = new ResponseCache({ ...config, ...over }, () => now, false);
  const body = Buffer.from('hello');
  const offer = (key = 'h\n/a', lifetime = 60_000) =>
    cache.offer(key, pool, ['Content-Length', '5'], body, lifetime, 0);
  return { cache, pool, offer, advance: (ms: number) => (now += ms) };
}

describe('ResponseCache', () => {
  it('stores the response to the hit that reaches the threshold within the period (>=)', () => {
    const { cache, offer } = setup();
    expect(cache.size).toBe(0);
    expect(offer()).toBe(false); // 1st
    expect(cache.lookup('h\n/a')).toBeNull();
    expect(offer()).toBe(true); // 2nd within 10 s
    expect(cache.lookup('h\n/a')?.body.toString()).toBe('hello');
  });

  it('a threshold of 1 stores the first response', () => {
    const { cache, offer } = setup({ frequentHitThreshold: 1 });
    expect(offer()).toBe(true);
    expect(cache.lookup('h\n/a')).not.toBeNull();
  });

  it('hits further apart than the period do not count together (sliding window)', () => {
    const { offer, advance } = setup();
    offer();
    advance(10_000);
    expect(offer()).toBe(false); // the first hit just left the window
    advance(9_999);
    expect(offer()).toBe(true);
  });

  it('expires entries at their lifetime and reports Age', () => {
    const { cache, offer, advance } = setup();
    offer();
    offer(undefined, 5000);
    advance(3500);
    const e = cache.lookup('h\n/a')!;
    expect(cache.age(e)).toBe(3);
    advance(1500);
    expect(cache.lookup('h\n/a')).toBeNull();
    expect(cache.usedBytes).toBe(0);
  });

  it('is not served, and is dropped, while its pool is stopped', () => {
    const { cache, offer, pool } = setup();
    offer();
    offer();
    pool.state = 'Stopped';
    expect(cache.lookup('h\n/a')).toBeNull();
    pool.state = 'Started';
    expect(cache.lookup('h\n/a')).toBeNull();
  });

  it("drops a pool's entries when the pool stops (dropPool)", () => {
    const { cache, offer } = setup();
    offer();
    offer();
    cache.dropPool('other');
    expect(cache.lookup('h\n/a')).not.toBeNull();
    cache.dropPool('app');
    expect(cache.lookup('h\n/a')).toBeNull();
    expect(cache.usedBytes).toBe(0);
  });

  it('scavenges entries not accessed for scavengerPeriod and stale counters', () => {
    const { cache, offer, advance } = setup({ scavengerPeriod: 1000 });
    offer();
    offer();
    offer('h\n/b');
    advance(999);
    cache.scavenge();
    expect(cache.size).toBe(2); // entry accessed recently enough; counter still in its window
    expect(cache.lookup('h\n/a')).not.toBeNull();
    advance(10_000);
    cache.scavenge();
    expect(cache.size).toBe(0);
  });

  it('bounds the total size (entries and the slots of their URLs) and does not store when full', () => {
    const slot = 'h\n/1'.length + SLOT_OVERHEAD;
    const entry = 5 + 'Content-Length'.length + 2 + 1 + 2; // 24 bytes
    const { cache, offer } = setup({ maxCacheSize: slot + entry + 10, frequentHitThreshold: 1 });
    expect(offer('h\n/1')).toBe(true);
    expect(offer('h\n/2')).toBe(false);
    expect(cache.usedBytes).toBe(slot + entry);
    expect(DEFAULT_MAX_CACHE_SIZE).toBe(64 * 1024 * 1024);
  });

  it('counts candidate URLs (their keys) within maxCacheSize: long URLs cannot grow it unbounded', () => {
    const key = (i: number) => `h\n/${String(i).padStart(8, '0')}${'x'.repeat(30_000)}`;
    const { cache, offer } = setup({ maxCacheSize: 1_000_000 });
    for (let i = 0; i < 100; i++) offer(key(i));
    expect(cache.usedBytes).toBeLessThanOrEqual(1_000_000);
    expect(cache.size).toBe(Math.floor(1_000_000 / (key(0).length + SLOT_OVERHEAD)));
    expect(MAX_CANDIDATES).toBe(10_000);
  });

  it('captures in progress reserve bytes within maxCacheSize and return them', () => {
    const { cache, offer } = setup({ maxCacheSize: 1000 });
    expect(cache.reserve(900)).toBe(true);
    expect(cache.reserve(200)).toBe(false);
    expect(offer('h\n/a')).toBe(false); // the slot (key + overhead) still fits
    expect(cache.usedBytes).toBe(900 + 'h\n/a'.length + SLOT_OVERHEAD);
    cache.unreserve(900);
    expect(cache.captureBytes).toBe(0);
    cache.flush();
    expect(cache.usedBytes).toBe(0);
  });

  it('never stores bodies larger than maxResponseSize, or anything when disabled', () => {
    const big = setup({ frequentHitThreshold: 1, maxResponseSize: 4 });
    expect(big.offer()).toBe(false);
    const off = setup({ frequentHitThreshold: 1, enabled: false });
    expect(off.offer()).toBe(false);
  });
});
