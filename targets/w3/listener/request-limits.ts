// HTTP.SYS request validation (IIS-SPEC §4.5): per-header length, URL length, URL segment length and count, and
// URL encoding. The total header size (MaxRequestBytes) is enforced by the HTTP parser itself (maxHeaderSize).
import type { IncomingMessage } from 'node:http';
import type { ListenerLimits } from '../config/types';
import type { PageName } from './httpsys-responses';
import type { HttpErrReason } from './http-error-log';

export interface LimitViolation {
  page: PageName;
  reason: HttpErrReason;
}

export function checkRequestLimits(req: IncomingMessage, limits: ListenerLimits): LimitViolation | null {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    // HTTP.SYS counts "Name: value" against MaxFieldLength.
    if (raw[i]!.length + 2 + raw[i + 1]!.length > limits.maxFieldLength) return { page: 'headerFieldTooLong', reason: 'FieldLength' };
  }
  const url = req.url ?? '/';
  if (url.length > limits.maxUrlLength) return { page: 'urlTooLong', reason: 'URL_Length' };
  return checkUrl(url, limits);
}

export function checkUrl(url: string, limits: ListenerLimits): LimitViolation | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.startsWith('/') && path !== '*') {
    // Absolute-form URLs (proxy style) are accepted when they carry a path.
    if (!/^https?:\/\/[^/]+(\/|$)/i.test(path)) return { page: 'invalidUrl', reason: 'URL' };
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return { page: 'invalidUrl', reason: 'URL' };
  }
  // Restricted characters (AllowRestrictedChars=0): controls U+0000–U+001F and U+007F–U+009F after decoding.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(decoded)) return { page: 'invalidUrl', reason: 'URL' };
  const segments = path.split('/').filter((s) => s.length > 0);
  if (limits.urlSegmentMaxCount > 0 && segments.length > limits.urlSegmentMaxCount) return { page: 'invalidUrl', reason: 'URL' };
  if (limits.urlSegmentMaxLength > 0 && segments.some((s) => s.length > limits.urlSegmentMaxLength)) return { page: 'invalidUrl', reason: 'URL' };
  return null;
}
