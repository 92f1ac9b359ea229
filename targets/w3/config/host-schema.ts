// File-format schema of the host process's own sections: listen, admin, logging, faultInjection and the HTTP.sys-style
// listener settings (limits, timers, cache). Defaults are the IIS / HTTP.sys defaults (request limits, connection
// timers, kernel cache; docs/iis-model.md lists them); ranges are the HTTP.sys registry ranges where IIS has one. Every
// default is a `prefault` (an input value run through the schema) so the JSON Schema and SETTINGS.md show what a user
// would write ("120s"), not the normalised ms.
import { z } from 'zod';
import net from 'node:net';
import { durationSchema, positiveDurationSchema, timerDurationSchema } from './duration';

function isIpOrCidr(v: string): boolean {
  const slash = v.indexOf('/');
  if (slash === -1) return net.isIP(v) !== 0;
  const family = net.isIP(v.slice(0, slash));
  const bits = v.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

const port = z.number().int().min(0).max(65535);

export const listenSchema = z
  .strictObject({
    host: z.string().min(1).prefault('127.0.0.1').describe('Address the public listener binds to.'),
    port: port.prefault(8080).describe('TCP port of the public listener; 0 picks a free port (printed at start).'),
    transport: z
      .enum(['http', 'frames'])
      .prefault('frames')
      .describe(
        'How the listener reaches workers: frames (it scans request heads only and forwards the bytes unchanged ' +
          'in frames over one socket per module-mode worker) or http (it parses each request and proxies it over ' +
          'HTTP). A configuration with a command-mode application runs on http (such a worker speaks plain HTTP on ' +
          'its port). Read at start; a reload does not switch it.',
      ),
  })
  .prefault({})
  .describe('Where w3 accepts client connections.');

export const adminTcpSchema = z
  .strictObject({
    host: z.string().min(1).prefault('127.0.0.1').describe('Address of the optional TCP admin endpoint.'),
    port: port.describe('TCP port of the admin endpoint; 0 picks a free port.'),
    token: z.string().min(1).describe('Bearer token every admin request over TCP must carry.'),
  })
  .describe('Optional admin endpoint over TCP (in addition to the socket), protected by a bearer token.');

export const adminSchema = z
  .strictObject({
    socket: z
      .string()
      .min(1)
      .prefault('./w3-admin.sock')
      .describe('Unix socket of the admin API (mode 0600); relative to the config file folder.'),
    tcp: adminTcpSchema.nullable().optional(),
  })
  .prefault({})
  .describe('Admin API (pools, recycle, start/stop, events).');

export const loggingSchema = z
  .strictObject({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .prefault('info')
      .describe('pino log level of the host process.'),
    httpErrLog: z
      .string()
      .min(1)
      .nullable()
      .prefault(null)
      .describe(
        'File for HTTPERR-style lines (requests rejected or abandoned by the listener), relative to the config ' +
          'file folder; null writes them into the pino log only.',
      ),
    accessLog: z.boolean().prefault(false).describe('Log one line per request (W3C-like fields) to the pino log.'),
    httpErrLogTruncateSize: z
      .number()
      .int()
      .min(1048576)
      .max(2 ** 40)
      .prefault(1048576)
      .describe(
        'Bytes after which httpErrLog rolls over to a new file (HTTP.sys ErrorLogFileTruncateSize: default and ' +
          'minimum 1 MB); the previous files are kept as FILE.1, FILE.2, ...',
      ),
    hostLog: z
      .string()
      .min(1)
      .nullable()
      .prefault(null)
      .describe(
        "File for the host's pino log (events, HTTPERR lines, errors), relative to the config file folder; null = " +
          'stdout (its size is then the job of whatever reads stdout).',
      ),
    hostLogTruncateSize: z
      .number()
      .int()
      .min(1048576)
      .max(2 ** 40)
      .prefault(67108864)
      .describe('Bytes after which hostLog rolls over to a new file (kept as FILE.1, FILE.2, ...).'),
    maxLogFiles: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .prefault(10)
      .describe('Rolled-over files kept per log (httpErrLog, hostLog); older ones are deleted.'),
  })
  .prefault({})
  .describe(
    'Logging. Log files are written asynchronously (never on the request path) and flushed on exit and on a crash.',
  );

export const faultInjectionSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .prefault(false)
      .describe('Allow POST /pools/:name/workers/:id/faults; when false that route answers 403.'),
    token: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe('Secret the fault-injection route requires in addition to admin access; null = admin access suffices.'),
  })
  .prefault({})
  .describe('Fault injection for the lab; never enable in production.');

export const limitsSchema = z
  .strictObject({
    maxFieldLength: z
      .number()
      .int()
      .min(64)
      .max(65534)
      .prefault(16384)
      .describe('Max bytes of one request header (HTTP.sys MaxFieldLength) -> 400 Header Field Too Long.'),
    maxRequestBytes: z
      .number()
      .int()
      .min(256)
      .max(16777216)
      .prefault(16384)
      .describe(
        'Max bytes of request line + headers (HTTP.sys MaxRequestBytes) -> 400 Request Too Long. When smaller ' +
          'than maxFieldLength, maxFieldLength is lowered to it (as HTTP.sys does).',
      ),
    urlSegmentMaxLength: z
      .number()
      .int()
      .min(0)
      .max(32766)
      .prefault(260)
      .describe('Max characters of one URL path segment -> 400 Invalid URL; 0 = no limit.'),
    urlSegmentMaxCount: z
      .number()
      .int()
      .min(0)
      .max(16383)
      .prefault(255)
      .describe('Max number of URL path segments -> 400 Invalid URL; 0 = no limit.'),
    maxUrlLength: z
      .number()
      .int()
      .min(1)
      .max(16777216)
      .prefault(16384)
      .describe('Max bytes of the request target (URL) -> 414 URI Too Long.'),
    maxConnections: z
      .number()
      .int()
      .min(0)
      .max(2031616)
      .prefault(0)
      .describe(
        'Max client connections open at once; a connection beyond it gets the 503 page and is closed (HTTPERR ' +
          'ConnLimit). 0 = automatic: half the open-file limit of the host process, minus 64.',
      ),
    appConcurrentRequestLimit: z
      .number()
      .int()
      .min(1)
      .max(2147483647)
      .prefault(5000)
      .describe(
        'Max requests of one application in progress at once (queued or at a worker); beyond it -> 503 ' +
          '(IIS 503.2, HTTPERR AppConcurrentRequestLimit).',
      ),
  })
  .prefault({})
  .describe('Request validation and admission limits of the listener (HTTP.sys registry and IIS values).');

const ipOrCidr = z
  .string()
  .refine((v) => isIpOrCidr(v), { error: 'must be an IP address or a CIDR range (e.g. "10.0.0.0/8")' });

export const forwardingSchema = z
  .strictObject({
    addHeaders: z
      .boolean()
      .prefault(true)
      .describe('Add X-Forwarded-For, X-Forwarded-Proto and Forwarded (the client address) to every request.'),
    trustedProxies: z
      .array(ipOrCidr)
      .prefault([])
      .describe(
        'Peers (addresses or CIDR ranges) whose own X-Forwarded-*, Forwarded and X-Real-IP headers are kept and ' +
          'extended; from any other peer they are dropped.',
      ),
  })
  .prefault({})
  .describe('Forwarding headers that tell applications who the client is.');

export const timersSchema = z
  .strictObject({
    connectionTimeout: durationSchema
      .prefault('120s')
      .describe('Idle keep-alive connection between requests is closed after this (Timer_ConnectionIdle); 0 = off.'),
    headerWaitTimeout: durationSchema
      .prefault('120s')
      .describe('Time allowed to receive the request line and headers (Timer_HeaderWait); 0 = off.'),
    entityBodyTimeout: durationSchema
      .prefault('120s')
      .describe('Inactivity limit while receiving a request body, reset on every chunk (Timer_EntityBody); 0 = off.'),
    minBytesPerSecond: z
      .number()
      .int()
      .min(0)
      .prefault(240)
      .describe(
        'Minimum response send rate; a connection is killed only once the whole response is overdue at this ' +
          'rate (Timer_MinBytesPerSecond); 0 = off.',
      ),
    requestQueueTimeout: timerDurationSchema
      .prefault('120s')
      .describe('Max time a request waits in a pool queue for a worker -> 503 (Timer_AppPool); 0 = off.'),
  })
  .prefault({})
  .describe('Connection and queue timers of the listener (HTTP.sys timers).');

export const cacheSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .prefault(true)
      .describe('Serve hot cacheable GET responses from the listener without a worker.'),
    frequentHitThreshold: z
      .number()
      .int()
      .min(1)
      .prefault(2)
      .describe('A URL becomes cache-worthy after this many requests within frequentHitTimePeriod (w3: >= threshold).'),
    frequentHitTimePeriod: positiveDurationSchema.prefault('10s').describe('Window of the frequent-hit rule.'),
    maxResponseSize: z
      .number()
      .int()
      .min(0)
      .prefault(262144)
      .describe('Largest response body (bytes) that is cached (UriMaxUriBytes).'),
    maxCacheSize: z
      .number()
      .int()
      .min(0)
      .prefault(0)
      .describe('Total cache size in bytes; 0 = no configured limit (w3 then caps at 64 MB).'),
    scavengerPeriod: positiveDurationSchema
      .prefault('120s')
      .describe('Entries not accessed for this long are flushed (UriScavengerPeriod).'),
  })
  .prefault({})
  .describe('Kernel-style response cache of the listener.');
