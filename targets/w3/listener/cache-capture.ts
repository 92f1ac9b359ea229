// Collects a worker's response body for the response cache while it streams to the client. Started only for a
// response that asks to be cached (cache-policy.ts) to a request that may be cached; every byte it copies is
// reserved in the cache's budget (maxCacheSize), so concurrent captures cannot hold more than the cache may. It
// gives up as soon as the body outgrows maxResponseSize or the budget, and offers the complete response (with a
// Content-Length, Age removed) to the cache. Whoever drops a capture calls release() (the reservation is returned).
import { responseStorable, type Storable } from './cache-policy';
import type { ResponseCache, CachePool } from './response-cache';

export class CacheCapture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private released = false;

  private constructor(
    private readonly cache: ResponseCache,
    private readonly headers: string[],
    private readonly policy: Storable,
  ) {}

  /**
   * `headers` is the list forwarded to the client (copied: the caller appends to it). The caller checked that the
   * request may be cached (cache-policy.ts requestCacheable / headCacheable).
   */
  static begin(status: number, headers: readonly string[], cache: ResponseCache): CacheCapture | null {
    const config = cache.config;
    const policy = responseStorable(status, headers, config.scavengerPeriod);
    if (!policy) return null;
    if (policy.contentLength !== null && policy.contentLength > config.maxResponseSize) return null;
    return new CacheCapture(cache, headers.slice(), policy);
  }

  /** Returns false when the body became too large to cache or the cache has no room (the capture is then dropped). */
  add(chunk: Buffer): boolean {
    if (this.released) return false;
    if (this.size + chunk.length > this.cache.config.maxResponseSize || !this.cache.reserve(chunk.length)) return false;
    this.size += chunk.length;
    this.chunks.push(chunk);
    return true;
  }

  /** Returns the reserved bytes to the cache (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.cache.unreserve(this.size);
    this.chunks.length = 0;
  }

  /** The whole body was added: offers it to the cache under `key` (ResponseCache.key). */
  finish(key: string, pool: CachePool): boolean {
    const size = this.size;
    const chunks = this.chunks.slice();
    this.release();
    const cl = this.policy.contentLength;
    if (cl !== null && size !== cl) return false; // truncated: never store a partial body
    const body = Buffer.concat(chunks, size);
    const headers: string[] = [];
    for (let i = 0; i < this.headers.length; i += 2) {
      if (this.headers[i]!.toLowerCase() === 'age') continue;
      headers.push(this.headers[i]!, this.headers[i + 1]!);
    }
    if (cl === null) headers.push('Content-Length', String(body.length));
    return this.cache.offer(key, pool, headers, body, this.policy.lifetimeMs, this.policy.initialAge);
  }
}
