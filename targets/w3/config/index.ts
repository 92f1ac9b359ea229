// Public API of the w3 config module: load/parse/merge a config, its error class, durations, and the generated
// JSON Schema / settings table. Other modules import from here, not from the files behind it.
export type {
  W3Config,
  PoolConfig,
  ApplicationConfig,
  ProcessModel,
  PeriodicRestart,
  Recycling,
  Failure,
  Cpu,
  ListenerLimits,
  ListenerTimers,
  CacheConfig,
  StartMode,
  LoadBalancerCapabilities,
  CpuAction,
} from './types';
export { parseConfig, loadConfig, mergeConfig, type ParseOptions } from './load';
export { ConfigError, type ConfigIssue } from './errors';
export { configFileSchema, type W3ConfigFile, type W3ConfigParsed } from './schema';
export { parseDuration, durationSchema, positiveDurationSchema, DurationError } from './duration';
export { configJsonSchema } from './json-schema';
export { settingsMarkdownTable } from './settings-table';
export { writeJsonSchema } from './write-json-schema';
