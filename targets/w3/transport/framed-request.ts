// What the worker does to each request under the framed transport, before the application sees it — the work the
// HTTP transport's listener does when it rebuilds the request (hop-headers.ts), done here so the listener can
// forward the client's bytes unchanged:
//  - the hop-by-hop headers (but Transfer-Encoding), the headers `Connection` names, and the listener-only X-W3-*
//    headers a client sent are removed (the worker's own http.Server has already used them for the framing);
//  - forwarding headers sent by a peer that is not a trusted proxy are removed; X-Forwarded-For,
//    X-Forwarded-Proto and Forwarded are added (or extended, for a trusted proxy) when the listener adds them;
//  - an absolute-form target (`GET http://host/path`) becomes its origin form with its authority as Host, and an
//    HTTP/1.0 request without Host gets the listener's address, as the HTTP transport sends them;
//  - the client's address needs nothing per request: the VirtualSocket carries it.
// The common request (no such header, origin form, Host present) costs one pass over the header names.
import type { IncomingMessage } from 'node:http';
import { HOP_BY_HOP, connectionNamed } from '../listener/hop-headers';
import {
  FORWARDING_HEADERS,
  CLIENT_ADDRESS_HEADER,
  CLIENT_PORT_HEADER,
  addForwardingHeaders,
  plainAddress,
} from '../listener/forwarding';
import type { VirtualSocket } from './virtual-socket';

const LISTENER_HEADERS = new Set([CLIENT_ADDRESS_HEADER, CLIENT_PORT_HEADER, 'x-w3-application']);
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)/i;

/** Applies the listener's request rules to `req` (arrived on `socket`); `addHeaders`: forwarding.addHeaders. */
export function adoptFramedRequest(
  req: IncomingMessage,
  socket: VirtualSocket,
  addHeaders: boolean,
  upgrade = false,
): void {
  const raw = req.rawHeaders;
  const named = connectionNamed(headerValue(raw, 'connection'));
  const trusted = socket.trustedPeer;
  let prior: Map<string, string> | null = null;
  let host: string | undefined;
  let drop: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const lk = raw[i]!.toLowerCase();
    if (lk === 'host') {
      host = raw[i + 1];
      continue;
    }
    let remove = false;
    // Transfer-Encoding stays: it tells the application that a body follows (on the HTTP transport the worker sees
    // the framing of the hop to it, chunked for a streamed body), and frameworks look for it.
    if (lk === 'transfer-encoding') remove = false;
    else if (HOP_BY_HOP.has(lk) || (named !== null && named.has(lk))) {
      remove = !(upgrade && (lk === 'upgrade' || lk === 'connection'));
    } else if (LISTENER_HEADERS.has(lk)) remove = true;
    else if (FORWARDING_HEADERS.has(lk)) {
      if (!trusted) remove = true;
      else if (addHeaders && lk !== 'x-forwarded-host' && lk !== 'x-real-ip') {
        prior ??= new Map();
        const before = prior.get(lk);
        prior.set(lk, before === undefined ? raw[i + 1]! : `${before}, ${raw[i + 1]!}`);
        remove = true;
      }
    }
    if (remove) (drop ??= new Set()).add(lk);
  }
  const url = req.url ?? '/';
  let authority: string | null = null;
  if (url.charCodeAt(0) !== 47 && url !== '*') {
    const m = ABSOLUTE_FORM.exec(url);
    if (m) {
      authority = m[1]!;
      const rest = url.slice(m[0].length);
      req.url = rest === '' ? '/' : rest.charCodeAt(0) === 63 ? '/' + rest : rest;
    }
  }
  const needHost = authority !== null || host === undefined;
  if (drop === null && !addHeaders && !needHost) return;
  if (drop !== null || needHost) removeHeaders(req, drop, needHost);
  const add: string[] = [];
  if (needHost) {
    host = authority ?? localAuthority(socket.localAddress, socket.localPort);
    add.push('Host', host);
  }
  if (addHeaders) addForwardingHeaders(add, plainAddress(socket.remoteAddress), host, prior);
  appendHeaders(req, add);
}

function headerValue(raw: string[], lower: string): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === lower.length && raw[i]!.toLowerCase() === lower)
      v = v === undefined ? raw[i + 1] : `${v}, ${raw[i + 1]}`;
  }
  return v;
}

/** Removes every field named in `drop` (and Host when `host`) from rawHeaders and the headers object. */
function removeHeaders(req: IncomingMessage, drop: Set<string> | null, host: boolean): void {
  const raw = req.rawHeaders;
  const h = req.headers;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const lk = raw[i]!.toLowerCase();
    if ((drop !== null && drop.has(lk)) || (host && lk === 'host')) {
      raw.splice(i, 2);
      delete h[lk];
    }
  }
}

function appendHeaders(req: IncomingMessage, add: string[]): void {
  const raw = req.rawHeaders;
  const h = req.headers;
  for (let i = 0; i < add.length; i += 2) {
    const k = add[i]!;
    raw.push(k, add[i + 1]!);
    h[k.toLowerCase()] = add[i + 1];
  }
}

function localAuthority(address: string, port: number): string {
  const a = plainAddress(address || '127.0.0.1');
  return `${a.includes(':') ? `[${a}]` : a}:${port}`;
}
