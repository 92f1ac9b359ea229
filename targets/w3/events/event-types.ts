// The w3 event vocabulary: every state change the manager and listener report, with the IIS event ID where IIS
// has one. This is the contract of `GET /events` (NDJSON) and of events.jsonl in the lab's run folders.

export const EVENT_IDS = {
  PoolStopped: 5002, // pool automatically disabled by rapid-fail protection (only when reason is RapidFail)
  WorkerCrashed: 5009, // worker terminated unexpectedly
  PingFailed: 5010, // worker failed to respond to a ping
  StartupTimeout: 5012, // worker exceeded its startup time limit
  ShutdownTimeout: 5013, // worker exceeded its shutdown time limit
  RecycleTime: 5074,
  RecycleRequests: 5075,
  RecycleSchedule: 5076,
  RecycleMemory: 5077,
  RecycleUnhealthy: 5078,
  RecycleAdmin: 5079,
  RecycleConfigChange: 5080,
  RecycleOverlapFailed: 5093,
  RecyclePrivateMemory: 5117,
  IdleShutdown: 5186,
} as const;

export type RecycleReason =
  | 'Time'
  | 'Requests'
  | 'Schedule'
  | 'Memory'
  | 'PrivateMemory'
  | 'IsapiUnhealthy'
  | 'OnDemand' // admin request (IIS calls the flag OnDemand)
  | 'ConfigChange';

export const RECYCLE_EVENT_ID: Record<RecycleReason, number> = {
  Time: EVENT_IDS.RecycleTime,
  Requests: EVENT_IDS.RecycleRequests,
  Schedule: EVENT_IDS.RecycleSchedule,
  Memory: EVENT_IDS.RecycleMemory,
  PrivateMemory: EVENT_IDS.RecyclePrivateMemory,
  IsapiUnhealthy: EVENT_IDS.RecycleUnhealthy,
  OnDemand: EVENT_IDS.RecycleAdmin,
  ConfigChange: EVENT_IDS.RecycleConfigChange,
};

export type W3EventType =
  | 'HostStarted'
  | 'HostStopping'
  | 'WorkerStarting'
  | 'WorkerReady'
  | 'WorkerExited' // orderly exit (recycle, idle, stop)
  | 'WorkerCrashed' // unexpected exit (5009)
  | 'WorkerKilled' // killed by the manager (reason says why)
  | 'WorkerDraining'
  | 'WorkerOrphaned'
  | 'PingFailed'
  | 'RequestStalled' // progress watchdog: pings answered but a request made no progress
  | 'StartupTimeout'
  | 'ShutdownTimeout'
  | 'RecycleStarted'
  | 'RecycleCompleted'
  | 'RecycleOverlapFailed'
  | 'PoolStopped'
  | 'PoolStarted'
  | 'IdleShutdown'
  | 'CpuLimitExceeded'
  | 'ConfigReloaded'
  | 'ConfigReloadRejected'
  | 'RequestRetried'
  | 'RequestAbandoned'
  | 'QueueFull'
  | 'FaultInjected'
  | 'FaultHealed'
  | 'RapidFailCount';

/** One line of the event log. `t` is epoch milliseconds. */
export interface W3Event {
  t: number;
  type: W3EventType;
  eventId?: number;
  pool?: string;
  workerId?: number;
  pid?: number;
  reason?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** Recycle id links RecycleStarted / WorkerReady / RecycleCompleted of one recycle. */
  recycleId?: number;
  [extra: string]: unknown;
}
