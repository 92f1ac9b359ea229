// The HTTPERR-style error log: one W3C-like line per request the listener rejected or abandoned, with the IIS
// reason phrase (QueueFull, AppOffline, Disabled, Connection_Abandoned_By_ReqQueue, Timer_HeaderWait, ...).
// Written to a file when configured (with the #Fields header; asynchronously, rolled over at
// logging.httpErrLogTruncateSize) and always to the pino log.
import type net from 'node:net';
import { LogDestination } from '../util/log-destination';
import type { Logger } from '../util/logger';

export type HttpErrReason =
  | 'AppOffline'
  | 'AppConcurrentRequestLimit'
  | 'AppShutdown'
  | 'BadRequest'
  | 'Client_Reset'
  | 'ConnLimit'
  | 'Connection_Abandoned_By_ReqQueue'
  | 'Connection_Dropped'
  | 'Disabled'
  | 'FieldLength'
  | 'Header'
  | 'Hostname'
  | 'N/I'
  | 'NotFound'
  | 'QueueFull'
  | 'RequestLength'
  | 'Timer_AppPool'
  | 'Timer_ConnectionIdle'
  | 'Timer_EntityBody'
  | 'Timer_HeaderWait'
  | 'Timer_MinBytesPerSecond'
  | 'URL'
  | 'URL_Length'
  | 'Verb'
  | 'Version_N/S';

export interface HttpErrEntry {
  clientIp?: string;
  clientPort?: number;
  serverIp?: string;
  serverPort?: number;
  version?: string;
  method?: string;
  uri?: string;
  status?: number;
  reason: HttpErrReason;
  queue?: string;
}

/** The connection's part of a line (both transports' listeners: the client and server addresses and ports). */
export function describeSocket(s: net.Socket): Omit<HttpErrEntry, 'reason'> {
  return { clientIp: s.remoteAddress, clientPort: s.remotePort, serverIp: s.localAddress, serverPort: s.localPort };
}

const FIELDS =
  '#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename';

export class HttpErrorLog {
  private readonly out: LogDestination | null = null;
  readonly counts = new Map<HttpErrReason, number>();

  /** `file`: written asynchronously, rolled over at `truncateSize` (HTTP.SYS: 1 MB), `keep` old files kept. */
  constructor(
    private readonly log: Logger,
    file: string | null,
    rollover: { truncateSize: number; keep: number } = { truncateSize: 1024 * 1024, keep: 10 },
  ) {
    if (file) {
      const header = (): string =>
        `#Software: w3 HTTP listener\n#Version: 1.0\n#Date: ${stamp(new Date())}\n${FIELDS}\n`;
      this.out = new LogDestination({ file, ...rollover, header });
    }
  }

  write(e: HttpErrEntry): void {
    this.counts.set(e.reason, (this.counts.get(e.reason) ?? 0) + 1);
    const line = formatLine(new Date(), e);
    this.log.warn({ httperr: e }, line);
    this.out?.write(line + '\n');
  }

  /** Lines lost because the file could not keep up (bounded buffer) or could not be written. */
  get dropped(): number {
    return this.out?.dropped ?? 0;
  }

  flushSync(): void {
    this.out?.flushSync();
  }

  close(): Promise<void> {
    return this.out?.close() ?? Promise.resolve();
  }
}

function stamp(d: Date): string {
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

// eslint-disable-next-line no-control-regex -- control characters are what this replaces
const SPACE_OR_CONTROL = /[\s\x00-\x1f]/g;

/** W3C rules: spaces inside a field become '+', a missing field is '-'. */
function field(v: string | number | undefined): string {
  if (v === undefined || v === '') return '-';
  return String(v).replace(SPACE_OR_CONTROL, '+').slice(0, 4096);
}

export function formatLine(d: Date, e: HttpErrEntry): string {
  return [
    stamp(d),
    field(e.clientIp),
    field(e.clientPort),
    field(e.serverIp),
    field(e.serverPort),
    field(e.version ? `HTTP/${e.version}` : undefined),
    field(e.method),
    field(e.uri),
    field(e.status),
    '1',
    e.reason,
    field(e.queue),
  ].join(' ');
}
