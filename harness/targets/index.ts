// Public API of harness/targets: the Target protocol (types.ts), the registry of named targets, and the errors
// they raise. Adapters are reached through getTarget(); their modules are not part of the API.
export * from './types';
export { getTarget, targetNames } from './registry';
export { TargetError, isTargetError, type TargetErrorCode } from './errors';
export { deepMerge } from './deep-merge';
export { CAPABILITIES, capabilityNames, capabilitySchema, missingCapabilities, type Capability } from './capabilities';
