// The worker's ServerResponse under the framed transport (passed to `http.createServer({ ServerResponse })`): it
// sets X-W3-Worker-Pid in its constructor (no per-request closure, and the listener never has to splice the
// response head) and, when the response has been handed to the virtual socket in full ('finish'), tells the listener
// with a RESP_END frame after the response's last DATA frame, flagged when the response carries Cache-Control (only
// those are parsed by the listener for its response cache). A response on an ordinary socket behaves as Node's.
import http from 'node:http';
import { RespEndFlags } from './frame-codec';
import { VirtualSocket } from './virtual-socket';

// The typings omit the options argument Node passes (highWaterMark, rejectNonStandardBodyWrites).
const ResponseBase = http.ServerResponse as unknown as new (
  req: http.IncomingMessage,
  options?: object,
) => http.ServerResponse;

function onFinish(this: http.ServerResponse): void {
  const s = this.req.socket;
  if (s instanceof VirtualSocket) s.responseEnded(this.hasHeader('cache-control') ? RespEndFlags.CACHE_CONTROL : 0);
}

/** A ServerResponse class that stamps `pid` on every response and reports response ends on virtual sockets. */
export function framedResponseClass(pid: number): typeof http.ServerResponse {
  const pidText = String(pid);
  const cls = class W3ServerResponse extends ResponseBase {
    constructor(req: http.IncomingMessage, options?: object) {
      super(req, options);
      this.setHeader('X-W3-Worker-Pid', pidText);
      this.on('finish', onFinish);
    }
  };
  return cls as unknown as typeof http.ServerResponse;
}
