// Tests' helper: walks a client byte stream the way the framed listener does (head scanner, then body scanner,
// request after request) and lists what it finds, to compare with what Node's own parser makes of the same bytes.
import { HeadScanner, HeadScanError } from '../head-scanner';
import { BodyScanner } from '../body-scanner';

export interface Walked {
  requests: { method: string; url: string; body: number }[];
  /** How the walk ended: an error code, 'incomplete' (bytes ran out mid-request), 'end', 'close' or 'upgrade'. */
  end: string;
}

/** `splits`: offsets at which the bytes arrive in separate pieces (to exercise resumption). */
export function walkRequests(bytes: Buffer, maxHead = 64 * 1024, splits: number[] = []): Walked {
  const requests: Walked['requests'] = [];
  const head = new HeadScanner(maxHead);
  const body = new BodyScanner();
  let pos = 0;
  const cuts = [...splits.filter((s) => s > 0 && s < bytes.length), bytes.length];
  let avail = cuts.shift()!;
  while (true) {
    if (pos >= bytes.length) return { requests, end: 'end' };
    let h = head.scan(bytes, pos, avail);
    while (h === null && avail < bytes.length) {
      avail = cuts.shift()!;
      h = head.scan(bytes, pos, avail);
    }
    if (h === null) return { requests, end: 'incomplete' };
    if (h instanceof HeadScanError) return { requests, end: h.code };
    pos += h.length;
    if (h.method === 'CONNECT') return { requests, end: 'connect' };
    // Listed at its head, as Node's 'request' event fires (the body may never complete).
    const r = { method: h.method, url: h.url, body: 0 };
    requests.push(r);
    body.start(h.contentLength, h.chunked);
    head.reset();
    while (!body.done) {
      if (pos >= avail) {
        if (avail >= bytes.length) return { requests, end: 'incomplete' };
        avail = cuts.shift()!;
      }
      const n = body.consume(bytes, pos, avail);
      if (n instanceof HeadScanError) return { requests, end: n.code };
      pos = n;
    }
    r.body = body.seen;
    if (h.upgrade) return { requests, end: 'upgrade' };
    if (!h.keepAlive) return { requests, end: 'close' };
  }
}
