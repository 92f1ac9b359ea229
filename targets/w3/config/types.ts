// The normalised w3 configuration: what `parseConfig` returns after validation and defaults. All durations are
// milliseconds, all memory sizes KB (as in IIS), all paths absolute. The file format (IIS names in camelCase,
// durations as strings) is described by the zod schema in schema.ts.

export type StartMode = 'OnDemand' | 'AlwaysRunning';
export type LoadBalancerCapabilities = 'HttpLevel' | 'TcpLevel';
export type CpuAction = 'NoAction' | 'KillW3wp' | 'Throttle' | 'ThrottleUnderLoad';

export interface ProcessModel {
  maxProcesses: number;
  /** w3 extension: how a web garden places client connections (spread as IIS, or pack onto the first worker). */
  webGardenDispatch: 'spread' | 'pack';
  pingingEnabled: boolean;
  pingInterval: number;
  pingResponseTime: number;
  startupTimeLimit: number;
  shutdownTimeLimit: number;
  /** 0 disables. */
  idleTimeout: number;
  /** w3 extension: a request that makes no progress (no response byte) for this long while pings are answered
   *  marks the worker as a zombie; 0 disables. */
  requestProgressTimeout: number;
  /** w3 admission control: requests one worker runs at once; the rest wait in the pool queue. 0 = no limit. */
  maxConcurrentRequestsPerWorker: number;
}

export interface PeriodicRestart {
  time: number; // ms, 0 = off
  requests: number; // 0 = off
  privateMemory: number; // KB, 0 = off
  memory: number; // KB (virtual), 0 = off
  schedule: string[]; // "HH:MM" or "HH:MM:SS" local times of day, as written (validated, two-digit fields)
}

export interface Recycling {
  periodicRestart: PeriodicRestart;
  disallowOverlappingRotation: boolean;
  disallowRotationOnConfigChange: boolean;
}

export interface Failure {
  rapidFailProtection: boolean;
  rapidFailProtectionInterval: number;
  rapidFailProtectionMaxCrashes: number;
  loadBalancerCapabilities: LoadBalancerCapabilities;
  orphanWorkerProcess: boolean;
  /** argv; "%1%" in an argument is replaced by the orphaned PID. */
  orphanActionCommand: string[] | null;
  autoShutdownCommand: string[] | null;
}

export interface Cpu {
  limit: number; // 1/1000 of a percent, 0 = off
  action: CpuAction;
  resetInterval: number;
}

export interface PoolConfig {
  name: string;
  queueLength: number;
  startMode: StartMode;
  autoStart: boolean;
  /** Replay idempotent requests whose worker died before any response byte (w3 extension, default true). */
  retryIdempotent: boolean;
  processModel: ProcessModel;
  recycling: Recycling;
  failure: Failure;
  cpu: Cpu;
}

export interface ApplicationConfig {
  /** Path prefix, starts with "/"; trailing slashes removed (except for "/" itself). */
  path: string;
  /** Host name to match, lower-cased, without port; null matches any host. */
  host: string | null;
  pool: string;
  /** In-process module: absolute path of a module exporting a Node request listener. */
  module: string | null;
  /** Command mode: argv of a program that listens on 127.0.0.1:$PORT. */
  command: string[] | null;
  /** Working directory for command mode (defaults to the config file's folder). */
  cwd: string;
  env: Record<string, string>;
  /** Command mode: HTTP path used for readiness and pings; null = TCP connect only. */
  healthPath: string | null;
}

export interface ListenerLimits {
  maxFieldLength: number; // bytes, 16384
  maxRequestBytes: number; // bytes, 16384
  urlSegmentMaxLength: number; // 260
  urlSegmentMaxCount: number; // 255
  maxUrlLength: number; // bytes, 16384 (414 above)
  maxConnections: number; // 0 = automatic (from the open-file limit)
  appConcurrentRequestLimit: number; // 5000 (503.2 above)
}

export interface ForwardingConfig {
  addHeaders: boolean;
  /** Addresses or CIDR ranges. */
  trustedProxies: string[];
}

export interface ListenerTimers {
  connectionTimeout: number; // idle keep-alive, 120 s
  headerWaitTimeout: number; // 120 s
  entityBodyTimeout: number; // 120 s
  minBytesPerSecond: number; // 240, 0 = off
  requestQueueTimeout: number; // max wait in a pool queue, 120 s
}

export interface CacheConfig {
  enabled: boolean;
  frequentHitThreshold: number; // 2
  frequentHitTimePeriod: number; // 10 s
  maxResponseSize: number; // bytes, 262144
  maxCacheSize: number; // bytes, 0 = unlimited (w3 uses 64 MB then)
  scavengerPeriod: number; // 120 s
}

export interface W3Config {
  /** Absolute path of the file it was loaded from (null when built in memory). Durations anywhere in this
   *  object may exceed setTimeout's 2^31-1 ms limit (e.g. a 30-day idleTimeout): arm long timers in steps. */
  file: string | null;
  baseDir: string;
  listen: { host: string; port: number; transport: 'http' | 'frames' };
  admin: { socket: string; tcp: { host: string; port: number; token: string } | null };
  logging: {
    level: string;
    httpErrLog: string | null;
    accessLog: boolean;
    httpErrLogTruncateSize: number;
    hostLog: string | null;
    hostLogTruncateSize: number;
    maxLogFiles: number;
  };
  faultInjection: { enabled: boolean; token: string | null };
  limits: ListenerLimits;
  timers: ListenerTimers;
  cache: CacheConfig;
  forwarding: ForwardingConfig;
  pools: PoolConfig[];
  applications: ApplicationConfig[];
}
