// Collects a worker's response body for the response cache while it streams to the client. Started only for a
// response that asks to be cached (cache-policy.ts) to a request that may be cached; gives up as soon as the body
// outgrows maxResponseSize, and offers the complete response (with a Content-Length, Age removed) to the cache.
import type { IncomingMessage } from 'node:http';
import type { CacheConfig } from '../config/types';
import { requestCacheable, responseStorable, type Storable } from './cache-policy';
import { ResponseCache, type CachePool } from './response-cache';

export class CacheCapture {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  private constructor(
    private readonly headers: string[],
    private readonly policy: Storable,
    private readonly maxSize: number,
  ) {}

  /** `headers` is the list forwarded to the client (copied: the caller appends to it). */
  static begin(req: IncomingMessage, status: number, headers: readonly string[], config: CacheConfig): CacheCapture | null {
    const policy = responseStorable(status, headers, config.scavengerPeriod);
    if (!policy) return null;
    if (policy.contentLength !== null && policy.contentLength > config.maxResponseSize) return null;
    if (!requestCacheable(req)) return null;
    return new CacheCapture(headers.slice(), policy, config.maxResponseSize);
  }

  /** Returns false when the body became too large to cache (the capture is then dropped). */
  add(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.maxSize) return false;
    this.chunks.push(chunk);
    return true;
  }

  finish(cache: ResponseCache, req: IncomingMessage, pool: CachePool): boolean {
    const cl = this.policy.contentLength;
    if (cl !== null && this.size !== cl) return false; // truncated: never store a partial body
    const body = Buffer.concat(this.chunks, this.size);
    const headers: string[] = [];
    for (let i = 0; i < this.headers.length; i += 2) {
      if (this.headers[i]!.toLowerCase() === 'age') continue;
      headers.push(this.headers[i]!, this.headers[i + 1]!);
    }
    if (cl === null) headers.push('Content-Length', String(body.length));
    const key = ResponseCache.key(req.headers.host, req.url ?? '/');
    return cache.offer(key, pool, headers, body, this.policy.lifetimeMs, this.policy.initialAge);
  }
}
