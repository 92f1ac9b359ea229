// The lab's event vocabulary: what checkers, statistics, reports and the runner read about a target, whatever the
// target is. Each target adapter (harness/targets/*-events.ts) maps its own signals — w3's event log, the
// node-cluster primary's lines, a peer's logs or process observation — into these types, so no checker knows which
// server it judges. One zod schema per type is the single source: the TypeScript types, the reader of events.jsonl
// and the README's "Events the checkers read" table all come from it. Changes are additive only (new types, new
// optional fields): other adapters and stored run folders depend on every existing name and meaning.
import { z } from 'zod';

/** Why a worker was recycled (an orderly replacement, not a failure). */
export const recycleReason = z.enum([
  'time', // it reached its configured age
  'requests', // it served its configured number of requests
  'schedule', // a configured time of day
  'memory', // its virtual memory passed the configured limit
  'private-memory', // its private (resident) memory passed the configured limit
  'unhealthy', // the application reported itself unhealthy
  'admin', // an operator or the lab asked for it
  'config-change', // a configuration change needs new workers
]);
export type RecycleReason = z.infer<typeof recycleReason>;

/** Failures a manager counts toward rapid-fail protection. */
export const failureKind = z.enum([
  'crash',
  'ping',
  'startup-timeout',
  'shutdown-timeout',
  'malformed-message',
  'stalled',
]);
export type FailureKind = z.infer<typeof failureKind>;

/** Why the manager killed a worker on purpose. */
export const killReason = z.enum([
  'ping', // it stopped answering health pings (hung)
  'stalled', // it answered pings but a request made no progress (zombie)
  'startup-timeout', // it was not ready within the startup limit
  'shutdown-timeout', // it did not exit within the shutdown limit
  'malformed-message', // it broke the control protocol
  'cpu-limit', // it used more CPU than allowed
  'memory', // the manager killed it for its memory use
  'orphan', // an orphaned worker the manager gave up on
  'other',
]);
export type KillReason = z.infer<typeof killReason>;

/** Why a pool (a group of workers serving one application) stopped. */
export const poolStopReason = z.enum(['rapid-fail', 'admin', 'cpu-limit', 'host-stop', 'other']);
export type PoolStopReason = z.infer<typeof poolStopReason>;

const int = z.number().int();
const ms = (what: string) => z.number().nonnegative().describe(what);

/** Fields of every event. */
const common = {
  t: z.number().describe('epoch milliseconds, when the target saw it'),
  source: z.string().min(1).describe('who reported it: the target name ("w3", "node-cluster", …) or "lab"'),
};
/** Events about one pool. */
const pooled = { ...common, pool: z.string().describe('the pool (worker group) it belongs to') };
/** Events about one worker process. */
const worker = {
  ...pooled,
  pid: int.describe('the worker process id'),
  workerId: int.optional().describe("the target's own worker number, when it has one"),
};

function ev<T extends string, S extends z.ZodRawShape>(type: T, description: string, shape: S) {
  return z.object({ type: z.literal(type), ...shape }).describe(description);
}

export const eventSchemas = [
  // ---- host ------------------------------------------------------------------------------------------------
  ev('HostStarted', "The target's main process is up and listening.", {
    ...common,
    listen: z.object({ host: z.string(), port: int }).optional().describe('where it listens for clients'),
  }),
  ev('HostStopping', "The target's main process began to shut down.", {
    ...common,
    reason: z.string().optional().describe('why, when it says'),
  }),
  ev('ConfigReloaded', 'A new configuration was applied to the running target.', {
    ...common,
    recycled: z.array(z.string()).optional().describe('pools recycled for it'),
    added: z.array(z.string()).optional().describe('pools added'),
    removed: z.array(z.string()).optional().describe('pools removed'),
  }),
  ev('ConfigReloadRejected', 'A new configuration was refused; the old one stays.', {
    ...common,
    error: z.string().describe('why it was refused'),
  }),
  // ---- worker lifecycle --------------------------------------------------------------------------------------
  ev('WorkerStarting', 'A worker process was started.', {
    ...worker,
    recycleId: int.optional().describe('set when it starts as the replacement of a recycle'),
  }),
  ev('WorkerReady', 'A worker can take requests.', {
    ...worker,
    recycleId: int.optional().describe('set when it is the replacement of a recycle'),
    startupMs: ms('start to ready').optional(),
  }),
  ev('WorkerDraining', 'A worker gets no new requests; it finishes those it has, then exits.', {
    ...worker,
    reason: z.string().describe('why (recycle, idle, pool-stop, …)'),
    inFlight: int.optional().describe('requests it still had'),
  }),
  ev('WorkerExited', 'A worker exited because the manager asked it to (recycle, idle, stop): an orderly exit.', {
    ...worker,
    reason: z.string().describe('why the manager ended it'),
    exitCode: int.nullable().optional().describe('its exit code (null when a signal ended it)'),
    signal: z.string().nullable().optional().describe('the signal that ended it, if any'),
  }),
  ev('WorkerCrashed', 'A worker died without being asked to.', {
    ...worker,
    exitCode: int.nullable().describe('its exit code (null when a signal ended it)'),
    signal: z.string().nullable().describe('the signal that ended it (SIGKILL, SIGABRT, SIGSEGV …), or null'),
    duringStartup: z.boolean().describe('it died before it was ready'),
  }),
  ev('WorkerKilled', 'The manager killed a worker on purpose.', {
    ...worker,
    reason: killReason.describe('why (ping, stalled, startup-timeout, shutdown-timeout, cpu-limit, …)'),
    detail: z.string().optional().describe("the target's own words"),
  }),
  ev('WorkerOrphaned', 'The manager left a misbehaving worker running outside the pool (for a debugger).', {
    ...worker,
    reason: z.string().describe('why'),
  }),
  ev('WorkerOomKilled', 'The kernel OOM-killed a worker (the lab proved it: the cgroup counter went up).', {
    ...worker,
    oomKillCount: int.optional().describe("the memory cgroup's oom_kill counter after the kill"),
    cgroup: z.string().optional().describe('cgroup-v1 or cgroup-v2'),
    replacementPid: int.optional().describe('the worker that replaced it'),
  }),
  // ---- health --------------------------------------------------------------------------------------------------
  ev('PingFailed', 'A worker did not answer a health ping in time (a hang was detected).', {
    ...worker,
    waitedMs: ms('how long the ping waited').optional(),
  }),
  ev('RequestStalled', 'A worker answered pings but a request on it made no progress (a zombie was detected).', {
    ...worker,
    waitedMs: ms('how long the oldest stalled request waited').optional(),
    stalledRequests: int.optional().describe('requests stalled on it'),
  }),
  ev('StartupTimeout', 'A worker was not ready within the startup limit.', { ...worker, limitMs: ms('the limit') }),
  ev('ShutdownTimeout', 'A draining worker did not exit within the shutdown limit.', {
    ...worker,
    limitMs: ms('the limit'),
    inFlight: int.optional().describe('requests it still had'),
  }),
  ev('IdleShutdown', 'A worker with no requests for the idle timeout is shut down.', {
    ...worker,
    idleMs: ms('how long it had been idle'),
  }),
  ev('CpuLimitExceeded', 'A worker used more CPU than allowed.', {
    ...worker,
    action: z.string().optional().describe('what the manager did (kill, throttle, log)'),
  }),
  // ---- recycles ----------------------------------------------------------------------------------------------
  ev('RecycleStarted', 'The manager began to replace a worker (or, for some targets, all of them) in an orderly way.', {
    ...pooled,
    pid: int.optional().describe('the worker being replaced, when the recycle is about one'),
    workerId: int.optional(),
    recycleId: int.describe('links RecycleStarted, the replacement WorkerStarting/Ready and RecycleCompleted'),
    reason: recycleReason.describe('time, requests, schedule, memory, private-memory, unhealthy, admin, config-change'),
    overlapped: z.boolean().optional().describe('the replacement starts before the old worker stops'),
    privateMemoryKB: z
      .number()
      .nonnegative()
      .optional()
      .describe('private memory the manager measured (memory recycles)'),
    memoryKB: z.number().nonnegative().optional().describe('virtual memory the manager measured (memory recycles)'),
    limitKB: z.number().nonnegative().optional().describe('the configured limit that was passed (memory recycles)'),
  }),
  ev('RecycleCompleted', 'A recycle finished (or was cancelled by a pool stop).', {
    ...pooled,
    recycleId: int,
    reason: recycleReason,
    workerId: int.optional(),
    oldPid: int.optional().describe('the worker replaced'),
    newPid: int.optional().describe('its replacement'),
    newWorkerId: int.optional(),
    overlapped: z.boolean().optional(),
    durationMs: ms('start to completion').optional(),
    readyMs: ms('start to replacement ready').nullable().optional(),
    oldExitMs: ms('start to old worker exit').nullable().optional(),
    cancelled: z.boolean().optional().describe('a pool stop cancelled it (not a failed overlap)'),
    replacementFailed: z.boolean().optional().describe('non-overlapped: the replacement failed to start'),
  }),
  ev('RecycleOverlapFailed', 'The replacement failed to start; the old worker keeps serving.', {
    ...pooled,
    pid: int.optional().describe('the worker that keeps serving, when the recycle is about one'),
    workerId: int.optional(),
    recycleId: int,
    reason: recycleReason,
  }),
  // ---- pools ---------------------------------------------------------------------------------------------------
  ev('PoolStarted', 'A pool was started (at boot or by an operator).', {
    ...pooled,
    reason: z.string().describe('boot or admin'),
  }),
  ev('PoolStopped', 'A pool stopped: its requests are refused until it is started again.', {
    ...pooled,
    reason: poolStopReason.describe('rapid-fail, admin, cpu-limit, host-stop, other'),
  }),
  ev('RapidFailCount', 'A failure was counted toward rapid-fail protection.', {
    ...pooled,
    failure: failureKind.describe('crash, ping, startup-timeout, shutdown-timeout, malformed-message, stalled'),
    count: int.describe('failures now inside the window'),
    windowMs: ms('the window'),
  }),
  ev('QueueFull', "A request was refused because the pool's queue was full.", {
    ...pooled,
    queueLength: int.optional().describe('the queue limit'),
  }),
  // ---- requests ----------------------------------------------------------------------------------------------
  ev('RequestRetried', 'A request that failed on a worker before any response byte was replayed on another.', {
    ...pooled,
    pid: int.optional().describe('the worker it failed on'),
    method: z.string().optional().describe('when the target logs it'),
    url: z.string().optional().describe('when the target logs it'),
    error: z.string().optional().describe('what failed'),
  }),
  ev('RequestAbandoned', 'A request failed on a worker and could not be replayed.', {
    ...pooled,
    pid: int.optional().describe('the worker it failed on'),
    method: z.string(),
    url: z.string(),
    responseStarted: z.boolean().describe('part of the response had been sent already'),
    error: z.string().optional(),
  }),
  // ---- faults (the target's acknowledgement of a lab fault) --------------------------------------------------------
  ev('FaultInjected', 'The target confirms a lab fault was delivered (into a worker, or armed for the next starts).', {
    ...pooled,
    pid: int.optional().describe('the worker it went into (none for a startup fault)'),
    faultKind: z.string().describe('leak, hang, crash, startup, …'),
  }),
  ev('FaultHealed', 'The target confirms a lab fault was removed.', {
    ...pooled,
    pid: int.optional(),
  }),
] as const;

export const labEventSchema = z.discriminatedUnion('type', eventSchemas);
/**
 * Where an event happened, readable on every event without narrowing first (undefined for events about the whole
 * target): code that filters "events of pool X" or "events of pid N" need not switch on the type.
 */
interface Located {
  pool?: string;
  pid?: number;
  workerId?: number;
}
export type LabEvent = z.infer<typeof labEventSchema> & Located;
export type LabEventType = LabEvent['type'];
export type LabEventOf<K extends LabEventType> = Extract<LabEvent, { type: K }>;

export const LAB_EVENT_TYPES: readonly LabEventType[] = eventSchemas.map((s) => s.shape.type.value);
