// The public API of the w3 server alone (require('w3lab/w3')): start a host in your own process, load and check a
// configuration, talk to a running host's admin API, and the call an application makes from inside a worker to
// report itself unhealthy. Nothing here loads the lab.
export { W3Host, type HostOptions } from './host';
export {
  loadConfig,
  parseConfig,
  mergeConfig,
  ConfigError,
  parseDuration,
  configJsonSchema,
  type ConfigIssue,
  type ParseOptions,
  type W3Config,
  type W3ConfigFile,
  type PoolConfig,
  type ApplicationConfig,
  type ProcessModel,
  type PeriodicRestart,
  type Recycling,
  type Failure,
  type Cpu,
  type ListenerLimits,
  type ListenerTimers,
  type CacheConfig,
  type StartMode,
  type LoadBalancerCapabilities,
  type CpuAction,
} from './config';
export { AdminClient, AdminError, type AdminClientOptions } from './admin/admin-client';
export { EVENT_IDS, type W3Event, type W3EventType, type RecycleReason } from './events/event-types';
export { reportUnhealthy } from './worker/api';
export { createLogger, silentLogger, type Logger } from './util/logger';
