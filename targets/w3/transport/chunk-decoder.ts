// Decodes a chunked response body as Node's ServerResponse writes it (the framed listener's response cache reads
// only announced cacheable responses: listener/framed-cache-capture.ts): hex sizes, extensions and trailers
// skipped, data handed out as views of the input (no copy). Incremental (any split); a syntax error or a byte after
// the end makes push() return false, and the caller gives up on the body.
const CR = 13;
const LF = 10;

const enum C {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  FinalLf,
  Done,
}

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x41 + i] = HEX[0x61 + i] = 10 + i;

/** Decodes a chunked body written by Node's ServerResponse (sizes, extensions skipped, data, trailers skipped). */
export class ChunkDecoder {
  private state = C.Size;
  private size = 0;
  private digits = 0;
  private remaining = 0;
  done = false;

  /** Feeds `buf` from `off`; `out` gets each data piece (false from it stops). False on a syntax error. */
  push(buf: Buffer, off: number, out: (piece: Buffer) => boolean): boolean {
    while (off < buf.length) {
      const c = buf[off]!;
      switch (this.state) {
        case C.Size: {
          const d = HEX[c]!;
          if (d < 0) {
            if (this.digits === 0) return false;
            this.state = C.Ext;
            continue;
          }
          if (++this.digits > 12) return false;
          this.size = this.size * 16 + d;
          break;
        }
        case C.Ext:
          if (c === CR) this.state = C.SizeLf;
          else if (c === LF) return false;
          break;
        case C.SizeLf:
          if (c !== LF) return false;
          this.state = this.size === 0 ? C.TrailerStart : C.Data;
          this.remaining = this.size;
          this.size = this.digits = 0;
          break;
        case C.Data: {
          const n = Math.min(this.remaining, buf.length - off);
          if (!out(buf.subarray(off, off + n))) return false;
          this.remaining -= n;
          off += n;
          if (this.remaining === 0) this.state = C.DataCr;
          continue;
        }
        case C.DataCr:
          if (c !== CR) return false;
          this.state = C.DataLf;
          break;
        case C.DataLf:
          if (c !== LF) return false;
          this.state = C.Size;
          break;
        case C.TrailerStart:
          this.state = c === CR ? C.FinalLf : C.TrailerLine;
          break;
        case C.TrailerLine:
          if (c === LF) this.state = C.TrailerStart;
          break;
        case C.FinalLf:
          if (c !== LF) return false;
          this.state = C.Done;
          this.done = true;
          break;
        default:
          return false; // bytes after the last chunk
      }
      off++;
    }
    return true;
  }
}
