// The response cache on the framed transport: the listener forwards a worker's response bytes to the client as they
// are and never parses them, except here. A capture is started only when the worker announced (RESP_CACHE frame,
// sent when the response has a Cache-Control header) that the response about to start may be worth caching, and
// the request may be cached (cache-policy.ts headCacheable). It reads the response head (status, headers: the same
// list the HTTP transport would forward — hop-by-hop and Connection-named headers and X-W3-Worker-Pid left out),
// asks the same policy (CacheCapture → responseStorable), and decodes the body (Content-Length, chunked, or up to
// the end of the response) into a CacheCapture, which reserves every byte in the cache's budget and offers the
// complete response to the cache. Anything unexpected (a head over MAX_HEAD, a malformed chunk, bytes past the
// end) gives up quietly: the response itself is never affected, it is only not stored. Hits are written here too
// (hitBytes), with the headers the HTTP transport's ServerResponse would write.
import { CacheCapture } from './cache-capture';
import { ChunkDecoder } from '../transport/chunk-decoder';
import { HOP_BY_HOP, connectionNamed } from './hop-headers';
import { ResponseCache, type CachePool, type CacheEntry } from './response-cache';

/** A response head longer than this is not cached (it is held while it arrives). */
export const MAX_HEAD = 64 * 1024;

const HEAD_END = Buffer.from('\r\n\r\n');

const enum Mode {
  Head,
  Length,
  Chunked,
  /** No length: the body is everything up to the end of the response. */
  ToEnd,
  Done,
  Failed,
}

export class FramedCacheCapture {
  private mode = Mode.Head;
  /** The head so far (bytes 0..headFill). */
  private head: Buffer | null = null;
  private headFill = 0;
  private capture: CacheCapture | null = null;
  private remaining = 0;
  private chunks: ChunkDecoder | null = null;
  private readonly add = (piece: Buffer): boolean => this.capture!.add(piece);

  constructor(private readonly cache: ResponseCache) {}

  /** Response bytes, in order, as they go to the client. */
  push(chunk: Buffer): void {
    let off = 0;
    while (this.mode === Mode.Head && off < chunk.length) {
      const end = this.headEnd(chunk, off);
      if (!this.hold(chunk, off, end === -1 ? chunk.length : end)) return this.fail();
      if (end === -1) return;
      const text = this.head!.toString('latin1', 0, this.headFill - 4);
      this.headFill = 0;
      if (!this.startBody(text)) return this.fail();
      off = end;
    }
    if (off < chunk.length) this.body(chunk, off);
  }

  /** Offset in `chunk` just after the head's blank line, or -1 (the line may straddle the previous chunk). */
  private headEnd(chunk: Buffer, off: number): number {
    const held = this.headFill;
    if (held > 0) {
      // Only a blank line that straddles the boundary can be missing from both the held bytes and the new ones.
      const tail = Math.min(3, held);
      const joint = Buffer.concat([this.head!.subarray(held - tail, held), chunk.subarray(off, off + 3)]);
      const j = joint.indexOf(HEAD_END);
      if (j !== -1) return off + j + 4 - tail;
    }
    const k = chunk.indexOf(HEAD_END, off);
    return k === -1 ? -1 : k + 4;
  }

  /** Appends head bytes (a buffer that doubles: a head trickling in costs linear time); false beyond MAX_HEAD. */
  private hold(chunk: Buffer, from: number, to: number): boolean {
    const need = this.headFill + (to - from);
    if (need > MAX_HEAD + 4) return false;
    if (this.head === null || this.head.length < need) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_HEAD + 4, Math.max(need, 2 * (this.head?.length ?? 256))));
      if (this.head !== null) this.head.copy(grown, 0, 0, this.headFill);
      this.head = grown;
    }
    chunk.copy(this.head, this.headFill, from, to);
    this.headFill = need;
    return true;
  }

  /**
   * The body is complete by its own framing (Content-Length reached, last chunk read): finish() now, before the
   * last byte goes to the client — a client that sends its next request on seeing it must find the entry stored
   * (RESP_END comes a frame later).
   */
  get complete(): boolean {
    return this.mode === Mode.Done;
  }

  /** The response ended (RESP_END), or is complete: stores it when it is complete and storable. */
  finish(key: string, pool: CachePool): boolean {
    const complete = this.mode === Mode.Done || this.mode === Mode.ToEnd;
    const capture = this.capture;
    this.capture = null;
    this.mode = Mode.Failed;
    if (!capture) return false;
    if (!complete) {
      capture.release();
      return false;
    }
    return capture.finish(key, pool);
  }

  /** Gives up (the request failed or the connection closed); the reserved bytes go back to the cache. */
  release(): void {
    this.fail();
  }

  private fail(): void {
    this.mode = Mode.Failed;
    this.head = null;
    this.headFill = 0;
    this.capture?.release();
    this.capture = null;
  }

  /** Parses the head; false when the response cannot be stored (the capture then gives up). */
  private startBody(head: string): boolean {
    const lines = head.split('\r\n');
    const status = Number(lines[0]!.slice(9, 12));
    // An interim response (103 Early Hints, 102): the final head follows.
    if (status >= 100 && status < 200) return true;
    const out: string[] = [];
    let connection: string | undefined;
    let chunked = false;
    let length = -1;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) return false;
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      const lower = name.toLowerCase();
      if (lower === 'transfer-encoding') chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
      else if (lower === 'content-length') length = Number(value);
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
        continue;
      }
      if (lower === 'x-w3-worker-pid') continue;
      out.push(name, value);
    }
    const named = connectionNamed(connection);
    const headers = named === null ? out : out.filter((_, i) => !named.has(out[i - (i % 2)]!.toLowerCase()));
    this.capture = CacheCapture.begin(status, headers, this.cache);
    if (this.capture === null) return false;
    if (chunked) {
      this.mode = Mode.Chunked;
      this.chunks = new ChunkDecoder();
    } else if (length >= 0) {
      this.mode = length === 0 ? Mode.Done : Mode.Length;
      this.remaining = length;
    } else {
      this.mode = Mode.ToEnd;
    }
    return true;
  }

  private body(buf: Buffer, off: number): void {
    switch (this.mode) {
      case Mode.Length: {
        const n = buf.length - off;
        if (n > this.remaining || !this.add(buf.subarray(off))) return this.fail();
        this.remaining -= n;
        if (this.remaining === 0) this.mode = Mode.Done;
        return;
      }
      case Mode.ToEnd:
        if (!this.add(off === 0 ? buf : buf.subarray(off))) this.fail();
        return;
      case Mode.Chunked:
        if (!this.chunks!.push(buf, off, this.add)) return this.fail();
        if (this.chunks!.done) this.mode = Mode.Done;
        return;
      default:
        // Bytes after the end of the response, or after giving up.
        return this.fail();
    }
  }
}

/** The cache key of a scanned request: its first Host header, as the HTTP transport's `req.headers.host`, and URL. */
export function cacheKey(h: { url: string; rawHeaders: readonly string[] }): string {
  return ResponseCache.key(hostHeader(h.rawHeaders), h.url);
}

function hostHeader(raw: readonly string[]): string | undefined {
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') return raw[i + 1];
  return undefined;
}

/**
 * A cache hit as raw bytes: the stored headers, Age and X-W3-Cache, then what ServerResponse adds on the HTTP
 * transport (Date when none was stored, Connection), then the body.
 */
export function hitBytes(e: CacheEntry, age: number, keep: boolean): Buffer {
  let head = 'HTTP/1.1 200 OK\r\n';
  let date = false;
  const h = e.headers;
  for (let i = 0; i < h.length; i += 2) {
    head += `${h[i]}: ${h[i + 1]}\r\n`;
    if (h[i]!.length === 4 && h[i]!.toLowerCase() === 'date') date = true;
  }
  head += `Age: ${age}\r\nX-W3-Cache: HIT\r\n`;
  if (!date) head += `Date: ${new Date().toUTCString()}\r\n`;
  head += keep ? 'Connection: keep-alive\r\n\r\n' : 'Connection: close\r\n\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), e.body]);
}
