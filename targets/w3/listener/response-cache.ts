// The listener's response cache, HTTP.SYS kernel-cache style: hot cacheable GET responses are
// answered by the listener without a worker (`X-W3-Cache: HIT`, `Age`). What is cacheable: cache-policy.ts.
//
// Frequent-hit rule (pinned): a URL is stored when its cacheable responses reach `frequentHitThreshold` (≥, default
// 2) within a sliding `frequentHitTimePeriod` (10 s); the response to the request that reaches the threshold is the
// one stored, so with the defaults the first two requests go to a worker and the third is a HIT. Only requests
// whose response was cacheable count (w3 does not keep counters for URLs it could never cache).
// Key: Host header + URL (no query strings are cached); Vary other than Accept-Encoding is never stored.
// Lifetime: entries expire at their max-age (s-maxage); entries not accessed for `scavengerPeriod` are flushed by
// a scavenger that runs every half period (so an unused entry lives between 1 and 1.5 periods).
// Memory: everything the cache holds counts against maxCacheSize (0 → 64 MB) — stored entries (body + header
// bytes), every URL it keeps a slot for (its key + SLOT_OVERHEAD, counted candidates included) and the bodies
// being captured from workers right now (cache-capture.ts reserves as it copies). When full, a new response is not
// stored and no new URL is counted (HTTP.SYS: "the cache has room") until expired or scavenged entries make room;
// a capture that cannot reserve gives up. At most MAX_CANDIDATES URLs are counted at a time.
//
// Worker state vs pool state (decision): an entry is served whenever its pool is Started — also while the pool's
// workers recycle, crash and are replaced, or have not been demand-started yet (the cache belongs to the listener,
// as HTTP.SYS's does, and survives worker processes). When the pool is Stopped (admin stop, rapid-fail protection,
// CPU limit) its entries are not served and are dropped: the client gets the pool's 503 like any other request.
// A stop says "this application is offline" — load balancers and health checks rely on that 503, and content
// cached from the stopped application's workers must not outlive a restart that may deploy a new version.
// A configuration reload flushes the whole cache (routes and pools may have changed).
import type { CacheConfig } from '../config/types';

export const DEFAULT_MAX_CACHE_SIZE = 64 * 1024 * 1024;
export const MAX_CANDIDATES = 10_000;
/** What a slot costs besides its key: the Map entry, the slot object and its hit times (an estimate). */
export const SLOT_OVERHEAD = 96;

/** What an entry needs to know about its pool. */
export interface CachePool {
  readonly name: string;
  readonly state: string;
}

export interface CacheEntry {
  readonly pool: CachePool;
  /** Flat [name, value, ...] list, Content-Length included, Age excluded. */
  readonly headers: string[];
  readonly body: Buffer;
  readonly storedAt: number;
  readonly expiresAt: number;
  readonly initialAge: number;
  readonly size: number;
  lastAccess: number;
}

interface Slot {
  /** Times of recent cacheable responses (at most `threshold`), oldest first. */
  hits: number[];
  entry: CacheEntry | null;
}

export class ResponseCache {
  private readonly slots = new Map<string, Slot>();
  /** Bytes of stored entries and of slots (keys). */
  private bytes = 0;
  /** Bytes reserved by captures in progress. */
  private captured = 0;
  private readonly maxBytes: number;
  private timer: NodeJS.Timeout | null = null;
  hits = 0;
  stores = 0;

  constructor(
    readonly config: CacheConfig,
    private readonly now: () => number = Date.now,
    private readonly autoScavenge = true,
  ) {
    this.maxBytes = config.maxCacheSize > 0 ? config.maxCacheSize : DEFAULT_MAX_CACHE_SIZE;
  }

  /** Slots held (entries and counted URLs); 0 means a lookup cannot hit and is skipped. */
  get size(): number {
    return this.slots.size;
  }

  /** Everything counted against maxCacheSize. */
  get usedBytes(): number {
    return this.bytes + this.captured;
  }

  get captureBytes(): number {
    return this.captured;
  }

  /** A capture copies `n` more bytes; false when that would overflow maxCacheSize (the capture then gives up). */
  reserve(n: number): boolean {
    if (this.bytes + this.captured + n > this.maxBytes) return false;
    this.captured += n;
    return true;
  }

  unreserve(n: number): void {
    this.captured -= n;
  }

  static key(host: string | undefined, url: string): string {
    return (host ?? '') + '\n' + url;
  }

  lookup(key: string): CacheEntry | null {
    const slot = this.slots.get(key);
    const e = slot?.entry;
    if (!e) return null;
    const now = this.now();
    if (now >= e.expiresAt || e.pool.state !== 'Started') {
      this.drop(key, slot);
      return null;
    }
    e.lastAccess = now;
    this.hits++;
    return e;
  }

  /** Seconds for the Age header of a hit. */
  age(e: CacheEntry): number {
    return e.initialAge + Math.floor((this.now() - e.storedAt) / 1000);
  }

  /**
   * A worker answered `key` with a storable response: count the hit and store the response when it reaches the
   * frequent-hit threshold. Returns true when it was stored.
   */
  offer(
    key: string,
    pool: CachePool,
    headers: string[],
    body: Buffer,
    lifetimeMs: number,
    initialAge: number,
  ): boolean {
    const c = this.config;
    if (!c.enabled || body.length === 0 || body.length > c.maxResponseSize) return false;
    const now = this.now();
    let slot = this.slots.get(key);
    if (slot?.entry) {
      if (now < slot.entry.expiresAt && slot.entry.pool.state === 'Started') return false; // a concurrent miss
      this.drop(key, slot);
      slot = undefined;
    }
    if (!slot) {
      if (this.slots.size >= MAX_CANDIDATES) return false;
      const cost = key.length + SLOT_OVERHEAD;
      if (this.usedBytes + cost > this.maxBytes) {
        this.scavenge(now);
        if (this.usedBytes + cost > this.maxBytes) return false;
      }
      slot = { hits: [], entry: null };
      this.slots.set(key, slot);
      this.bytes += cost;
      this.ensureScavenger();
    }
    const hits = slot.hits;
    const from = now - c.frequentHitTimePeriod;
    while (hits.length > 0 && (hits[0]! <= from || hits.length >= c.frequentHitThreshold)) hits.shift();
    hits.push(now);
    if (hits.length < c.frequentHitThreshold) return false;
    let size = body.length;
    for (const h of headers) size += h.length + 2;
    if (this.usedBytes + size > this.maxBytes) {
      this.scavenge(now);
      if (this.usedBytes + size > this.maxBytes) return false;
    }
    slot.hits = [];
    slot.entry = { pool, headers, body, storedAt: now, expiresAt: now + lifetimeMs, initialAge, size, lastAccess: now };
    this.bytes += size;
    this.stores++;
    return true;
  }

  /** Drops expired entries, entries not accessed for scavengerPeriod, entries of stopped pools, stale counters. */
  scavenge(now = this.now()): void {
    const idle = now - this.config.scavengerPeriod;
    const window = now - this.config.frequentHitTimePeriod;
    for (const [key, slot] of this.slots) {
      const e = slot.entry;
      if (e) {
        if (now >= e.expiresAt || e.lastAccess <= idle || e.pool.state !== 'Started') this.drop(key, slot);
      } else if (slot.hits.length === 0 || slot.hits[slot.hits.length - 1]! <= window) {
        this.drop(key, slot);
      }
    }
    if (this.slots.size === 0) this.stopScavenger();
  }

  /** The pool stopped: its entries go now, so a quick stop/start cannot bring them back. */
  dropPool(name: string): void {
    for (const [key, slot] of this.slots) if (slot.entry?.pool.name === name) this.drop(key, slot);
  }

  /** Drops every slot; captures in progress keep their reservations until they end. */
  flush(): void {
    this.slots.clear();
    this.bytes = 0;
    this.stopScavenger();
  }

  close(): void {
    this.flush();
  }

  private drop(key: string, slot: Slot): void {
    if (slot.entry) this.bytes -= slot.entry.size;
    this.bytes -= key.length + SLOT_OVERHEAD;
    this.slots.delete(key);
  }

  private ensureScavenger(): void {
    if (this.timer || !this.autoScavenge) return;
    this.timer = setInterval(
      () => this.scavenge(),
      Math.min(0x7fffffff, Math.max(100, this.config.scavengerPeriod / 2)),
    );
    this.timer.unref();
  }

  private stopScavenger(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
