// What the tracked client sends: request specs, and their HTTP/1.1 wire form. Encoding happens once per spec
// (cached) so the hot loop only writes a ready Buffer.

export interface RequestSpec {
  method: string;
  /** Path and query, e.g. "/api/items?id=3". */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Overrides the method's default idempotency (GET, HEAD, PUT, DELETE, OPTIONS, TRACE are idempotent). */
  idempotent?: boolean;
}

export interface EncodedRequest {
  spec: RequestSpec;
  method: string;
  path: string;
  wire: Buffer;
  /** A HEAD request: the response has no body whatever its headers say. */
  noBody: boolean;
  idempotent: boolean;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

export function isIdempotent(spec: RequestSpec): boolean {
  return spec.idempotent ?? IDEMPOTENT.has(spec.method.toUpperCase());
}

/** Serialises a spec; adds Host (from `host`) and Content-Length when the spec does not set them. */
export function encodeRequest(spec: RequestSpec, host: string): EncodedRequest {
  const method = spec.method.toUpperCase();
  if (!/^[A-Z-]+$/.test(method)) throw new TypeError(`invalid HTTP method ${JSON.stringify(spec.method)}`);
  if (!spec.path.startsWith('/') || /[\s]/.test(spec.path)) {
    throw new TypeError(`invalid request path ${JSON.stringify(spec.path)} (must start with / and have no spaces)`);
  }
  const headers = spec.headers ?? {};
  const names = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  const body = spec.body === undefined ? undefined : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body);
  let head = `${method} ${spec.path} HTTP/1.1\r\n`;
  if (!names.has('host')) head += `Host: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value))
      throw new TypeError(`header ${JSON.stringify(name)} has a line break`);
    head += `${name}: ${value}\r\n`;
  }
  if (body !== undefined && !names.has('content-length') && !names.has('transfer-encoding')) {
    head += `Content-Length: ${body.length}\r\n`;
  }
  head += '\r\n';
  const headBuf = Buffer.from(head, 'latin1');
  const wire = body === undefined ? headBuf : Buffer.concat([headBuf, body]);
  return { spec, method, path: spec.path, wire, noBody: method === 'HEAD', idempotent: isIdempotent(spec) };
}

/** Encodes each distinct spec object once. */
export class RequestEncoder {
  private readonly cache = new WeakMap<RequestSpec, EncodedRequest>();
  constructor(private readonly host: string) {}

  encode(spec: RequestSpec): EncodedRequest {
    let e = this.cache.get(spec);
    if (e === undefined) {
      e = encodeRequest(spec, this.host);
      this.cache.set(spec, e);
    }
    return e;
  }
}
