// The listener's own error responses, byte for byte the HTTP.SYS template: HTML body in us-ascii,
// `Server: Microsoft-HTTPAPI/2.0`, and `Connection: close` — the connection is closed after any of them, and nothing
// the client sent behind the rejected request runs. The 400/404/414/503 texts are HTTP.SYS's (their lengths match
// captured responses); the 501 and 505 texts follow the same template with w3's wording, and the 503 for
// appConcurrentRequestLimit names the limit as IIS's 503.2 page does.
import type { ServerResponse } from 'node:http';

export interface Page {
  status: number;
  reason: string;
  title: string;
  h2: string;
  msg: string;
}

export const PAGES = {
  serviceUnavailable: {
    status: 503,
    reason: 'Service Unavailable',
    title: 'Service Unavailable',
    h2: 'Service Unavailable',
    msg: 'The service is unavailable.',
  },
  badRequest: {
    status: 400,
    reason: 'Bad Request',
    title: 'Bad Request',
    h2: 'Bad Request',
    msg: 'The request is badly formed.',
  },
  invalidUrl: {
    status: 400,
    reason: 'Bad Request',
    title: 'Bad Request',
    h2: 'Bad Request - Invalid URL',
    msg: 'The request URL is invalid.',
  },
  invalidHostname: {
    status: 400,
    reason: 'Bad Request',
    title: 'Bad Request',
    h2: 'Bad Request - Invalid Hostname',
    msg: 'The request hostname is invalid.',
  },
  invalidHeader: {
    status: 400,
    reason: 'Bad Request',
    title: 'Bad Request',
    h2: 'Bad Request - Invalid Header',
    msg: 'The request has an invalid header name.',
  },
  invalidVerb: {
    status: 400,
    reason: 'Bad Request',
    title: 'Bad Request',
    h2: 'Bad Request - Invalid Verb',
    msg: 'The request verb is invalid.',
  },
  headerFieldTooLong: {
    status: 400,
    reason: 'Bad Request',
    title: 'Bad Request',
    h2: 'Bad Request - Header Field Too Long',
    msg: 'A request header field is too long.',
  },
  requestTooLong: {
    status: 400,
    reason: 'Bad Request',
    title: 'Bad Request',
    h2: 'Bad Request - Request Too Long',
    msg: 'The size of the request headers is too long.',
  },
  urlTooLong: {
    status: 414,
    reason: 'Request URL Too Long',
    title: 'Request URL Too Long',
    h2: 'Request URL Too Long',
    msg: 'The request URL is too long.',
  },
  notFound: {
    status: 404,
    reason: 'Not Found',
    title: 'Not Found',
    h2: 'Not Found',
    msg: 'The requested resource is not found.',
  },
  notImplemented: {
    status: 501,
    reason: 'Not Implemented',
    title: 'Not Implemented',
    h2: 'Not Implemented',
    msg: 'The request transfer encoding is not supported.',
  },
  versionNotSupported: {
    status: 505,
    reason: 'HTTP Version Not Supported',
    title: 'HTTP Version Not Supported',
    h2: 'HTTP Version Not Supported',
    msg: 'The HTTP version of the request is not supported.',
  },
  concurrentRequestLimit: {
    status: 503,
    reason: 'Service Unavailable',
    title: 'Service Unavailable',
    h2: 'Service Unavailable',
    msg: 'The serverRuntime@appConcurrentRequestLimit setting is being exceeded.',
  },
} satisfies Record<string, Page>;

export type PageName = keyof typeof PAGES;

export function pageBody(p: Page): string {
  return (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n' +
    `<HTML><HEAD><TITLE>${p.title}</TITLE>\r\n` +
    '<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n' +
    `<BODY><h2>${p.h2}</h2>\r\n` +
    `<hr><p>HTTP Error ${p.status}. ${p.msg}</p>\r\n` +
    '</BODY></HTML>\r\n'
  );
}

const bodies = new Map<PageName, Buffer>(
  (Object.keys(PAGES) as PageName[]).map((k) => [k, Buffer.from(pageBody(PAGES[k]), 'ascii')]),
);

/** Full raw response, for sockets that have no ServerResponse (client errors before parsing finished). */
export function rawPage(name: PageName): Buffer {
  const p = PAGES[name];
  const body = bodies.get(name)!;
  const head =
    `HTTP/1.1 ${p.status} ${p.reason}\r\n` +
    'Content-Type: text/html; charset=us-ascii\r\nServer: Microsoft-HTTPAPI/2.0\r\n' +
    `Date: ${new Date().toUTCString()}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'ascii'), body]);
}

/** Sends the page on a parsed request's response and closes the connection afterwards. */
export function sendPage(res: ServerResponse, name: PageName): void {
  if (res.headersSent || res.destroyed) return;
  const p = PAGES[name];
  const body = bodies.get(name)!;
  res.shouldKeepAlive = false;
  res.writeHead(p.status, p.reason, {
    'Content-Type': 'text/html; charset=us-ascii',
    Server: 'Microsoft-HTTPAPI/2.0',
    Date: new Date().toUTCString(),
    Connection: 'close',
    'Content-Length': body.length,
  });
  res.end(body);
}
