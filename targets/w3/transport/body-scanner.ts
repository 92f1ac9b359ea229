// Where a request body ends, for the framed transport's listener: by Content-Length, or by walking the chunked
// coding (sizes, extensions, data, trailers) without decoding it — the bytes go to the worker unchanged, the
// listener only needs the offset of the next request (pipelining, replay) and whether the body is complete. As
// strict as llhttp on the chunk syntax (hex sizes without spaces, CRLF after the size and after the data, trailer
// lines as header fields), for the same reason as head-scanner.ts: the worker's parser must find the same end.
import { HeadScanError } from './head-scanner';

const enum S {
  Size,
  SizeCr,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerName,
  TrailerValue,
  TrailerLf,
  FinalLf,
  Done,
}

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x41 + i] = HEX[0x61 + i] = 10 + i;
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TOKEN[c.charCodeAt(0)] = 1;
/** Extension and trailer value bytes: HTAB, SP, visible ASCII, obs-text. */
const TEXT = new Uint8Array(256);
TEXT[9] = 1;
for (let c = 0x20; c <= 0x7e; c++) TEXT[c] = 1;
for (let c = 0x80; c <= 0xff; c++) TEXT[c] = 1;

/** The ways a chunked body is malformed, each with llhttp's error code and reason (FAULTS, same order). */
const enum F {
  None,
  SizeOverflow,
  SizeChar,
  SizeNoCr,
  SizeNoLf,
  ExtChar,
  DataNoCr,
  DataNoLf,
  TrailerToken,
  TrailerValue,
  TrailerNoLf,
  FinalNoLf,
}
const FAULTS: readonly (readonly [code: string, reason: string])[] = [
  ['', ''],
  ['HPE_INVALID_CHUNK_SIZE', 'Chunk size overflow'],
  ['HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size'],
  ['HPE_CR_EXPECTED', 'Missing expected CR after chunk size'],
  ['HPE_STRICT', 'Expected LF after chunk size'],
  ['HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk extensions'],
  ['HPE_STRICT', 'Expected CR after chunk data'],
  ['HPE_STRICT', 'Expected LF after chunk data'],
  ['HPE_INVALID_HEADER_TOKEN', 'Invalid trailer token'],
  ['HPE_INVALID_HEADER_TOKEN', 'Invalid trailer value char'],
  ['HPE_LF_EXPECTED', 'Missing expected LF after trailer'],
  ['HPE_STRICT', 'Expected LF after chunked body'],
];

function failure(fault: F, buf: Buffer, from: number, end: number): HeadScanError {
  const [code, reason] = FAULTS[fault]!;
  return new HeadScanError(code, reason, buf.subarray(from, end));
}

/** Chunk sizes above this are refused (llhttp's limit is 2^64; no body of ours comes near 2^53). */
const MAX_CHUNK = Number.MAX_SAFE_INTEGER;

/** Follows one request body. A new instance (or `start`) per request. */
export class BodyScanner {
  private state = S.Done;
  private remaining = 0;
  private size = 0;
  private sizeDigits = 0;
  /** Bytes of the body seen so far. */
  seen = 0;

  /** A body of `contentLength` bytes (-1 or 0: none) or chunked. */
  start(contentLength: number, chunked: boolean): void {
    this.seen = 0;
    if (chunked) {
      this.state = S.Size;
      this.size = this.sizeDigits = 0;
    } else if (contentLength > 0) {
      this.state = S.Data;
      this.remaining = contentLength;
      this.size = -1; // a Content-Length body: Data runs to the end, no CRLF after it
    } else {
      this.state = S.Done;
    }
  }

  get done(): boolean {
    return this.state === S.Done;
  }

  /**
   * Reads body bytes from `buf[off..end)`; returns the offset after the last body byte read (== end while the body
   * continues; < end when the body ended and the rest belongs to the next request), or a HeadScanError.
   * Hot path (every body byte of every request): no allocation unless the body is malformed.
   */
  consume(buf: Buffer, off: number, end: number): number | HeadScanError {
    const from = off;
    let i = off;
    while (i < end && this.state !== S.Done) {
      const c = buf[i]!;
      switch (this.state) {
        case S.Data: {
          const take = Math.min(this.remaining, end - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = this.size === -1 ? S.Done : S.DataCr;
          continue;
        }
        case S.Size: {
          const d = HEX[c]!;
          if (d >= 0) {
            this.size = this.size * 16 + d;
            this.sizeDigits++;
            if (this.size > MAX_CHUNK) return failure(F.SizeOverflow, buf, from, end);
          } else if (this.sizeDigits === 0) return failure(F.SizeChar, buf, from, end);
          else if (c === 0x3b) this.state = S.Ext;
          else if (c === 13) this.state = S.SizeLf;
          else return failure(c === 10 ? F.SizeNoCr : F.SizeChar, buf, from, end);
          break;
        }
        case S.Ext:
          if (c === 13) this.state = S.SizeLf;
          else if (!TEXT[c]) return failure(F.ExtChar, buf, from, end);
          break;
        case S.SizeLf:
          if (c !== 10) return failure(F.SizeNoLf, buf, from, end);
          if (this.size === 0) {
            this.state = S.TrailerStart;
          } else {
            this.remaining = this.size;
            this.state = S.Data;
          }
          break;
        case S.DataCr:
          if (c !== 13) return failure(F.DataNoCr, buf, from, end);
          this.state = S.DataLf;
          break;
        case S.DataLf:
          if (c !== 10) return failure(F.DataNoLf, buf, from, end);
          this.state = S.Size;
          this.size = this.sizeDigits = 0;
          break;
        default: {
          // After the last chunk (trailers, final CRLF): once per body, so a method call costs nothing here.
          const fault = this.trailerByte(c);
          if (fault !== F.None) return failure(fault, buf, from, end);
          break;
        }
      }
      i++;
    }
    this.seen += i - from;
    return i;
  }

  /** After the last chunk: trailer fields (`name:value` CRLF), then the final CRLF. */
  private trailerByte(c: number): F {
    switch (this.state) {
      case S.TrailerStart:
        if (c === 13) this.state = S.FinalLf;
        else if (TOKEN[c]) this.state = S.TrailerName;
        else return F.TrailerToken;
        return F.None;
      case S.TrailerName:
        if (c === 0x3a) this.state = S.TrailerValue;
        else if (!TOKEN[c]) return F.TrailerToken;
        return F.None;
      case S.TrailerValue:
        if (c === 13) this.state = S.TrailerLf;
        else if (!TEXT[c]) return F.TrailerValue;
        return F.None;
      case S.TrailerLf:
        if (c !== 10) return F.TrailerNoLf;
        this.state = S.TrailerStart;
        return F.None;
      case S.FinalLf:
        if (c !== 10) return F.FinalNoLf;
        this.state = S.Done;
        return F.None;
      default:
        return F.None;
    }
  }
}
