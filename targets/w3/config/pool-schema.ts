// File-format schema of one application pool: IIS `<applicationPools><add>` with its processModel, recycling,
// failure and cpu children (docs/iis-model.md). Defaults are IIS 10 schema defaults. IIS minimum
// granularities (60 s for idleTimeout, 1 s for pings) are deliberately NOT enforced: the lab runs whole recycle
// and rapid-fail scenarios with "200ms" timings. Only bounds that keep the server sane are checked.
import { z } from 'zod';
import { durationSchema, positiveDurationSchema, positiveTimerDurationSchema, timerDurationSchema } from './duration';

export const POOL_NAME_PATTERN = /^[A-Za-z0-9._-]+$/;
const TIME_OF_DAY = /^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$/;

const kb = z.number().int().min(0);
const argv = z.array(z.string().min(1)).min(1, { error: 'must name a program (non-empty argv)' });

export const processModelSchema = z
  .strictObject({
    maxProcesses: z
      .number()
      .int()
      .min(1)
      .prefault(1)
      .describe('Workers per pool; over 1 is a web garden (webGardenDispatch says how connections are spread).'),
    webGardenDispatch: z
      .enum(['spread', 'pack'])
      .prefault('spread')
      .describe(
        'w3 extension, web gardens: spread = as IIS, each new client connection goes to the least loaded worker ' +
          '(round-robin among equals); pack = to the first worker that keeps up, a second one takes connections ' +
          'only when the first does not (fewer wake-ups when the machine has no core to spare).',
      ),
    pingingEnabled: z.boolean().prefault(true).describe('Health-ping workers over the control channel.'),
    pingInterval: positiveTimerDurationSchema.prefault('30s').describe('Time between health pings of a worker.'),
    pingResponseTime: positiveTimerDurationSchema
      .prefault('90s')
      .describe('A worker that has not answered a ping for this long is killed (or orphaned) and replaced.'),
    startupTimeLimit: positiveTimerDurationSchema
      .prefault('90s')
      .describe('A worker not ready within this time is killed; counts as a rapid-fail failure.'),
    shutdownTimeLimit: positiveTimerDurationSchema
      .prefault('90s')
      .describe('A draining worker still running after this is killed; counts as a rapid-fail failure.'),
    idleTimeout: durationSchema
      .prefault('20m')
      .describe('A worker with no requests for this long exits; the next request demand-starts one. 0 = never.'),
    requestProgressTimeout: timerDurationSchema
      .prefault(0)
      .describe(
        'w3 extension: a request with no response byte for this long while pings are answered marks the ' +
          'worker as a zombie (killed and replaced). 0 = off.',
      ),
    maxConcurrentRequestsPerWorker: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .prefault(100)
      .describe(
        'w3 admission control: requests one worker runs at the same time; more wait in the pool queue (where ' +
          'queueLength and requestQueueTimeout apply and a worker crash does not touch them). 0 = no limit.',
      ),
  })
  .prefault({})
  .describe('Worker process settings (IIS processModel).');

export const periodicRestartSchema = z
  .strictObject({
    time: durationSchema.prefault('29h').describe('Recycle a worker after this much lifetime. 0 = off.'),
    requests: z
      .number()
      .int()
      .min(0)
      .prefault(0)
      .describe('Recycle a worker after it served this many requests. 0 = off.'),
    privateMemory: kb.prefault(0).describe("Recycle when a worker's private memory exceeds this many KB. 0 = off."),
    memory: kb.prefault(0).describe("Recycle when a worker's virtual memory exceeds this many KB. 0 = off."),
    schedule: z
      .array(
        z.string().regex(TIME_OF_DAY, {
          error: (iss) => `bad time of day ${JSON.stringify(iss.input)} (use "HH:MM" or "HH:MM:SS", 00:00-23:59:59)`,
        }),
      )
      .prefault([])
      .describe('Local times of day ("HH:MM" or "HH:MM:SS") at which the pool recycles every day.'),
  })
  .prefault({})
  .describe('Recycle triggers.');

export const recyclingSchema = z
  .strictObject({
    periodicRestart: periodicRestartSchema,
    disallowOverlappingRotation: z
      .boolean()
      .prefault(false)
      .describe(
        'false: start the replacement, switch to it once ready, then drain the old worker (overlapped). ' +
          'true: drain and stop the old worker first while requests wait in the queue.',
      ),
    disallowRotationOnConfigChange: z
      .boolean()
      .prefault(false)
      .describe("false: a change to this pool's settings on config reload recycles its workers."),
  })
  .prefault({})
  .describe('Worker recycling (IIS recycling).');

export const failureSchema = z
  .strictObject({
    rapidFailProtection: z
      .boolean()
      .prefault(true)
      .describe('Stop the pool when failures reach rapidFailProtectionMaxCrashes within the interval.'),
    rapidFailProtectionInterval: positiveDurationSchema
      .prefault('5m')
      .describe('Sliding window in which failures (crash, ping failure, startup/shutdown limit) are counted.'),
    rapidFailProtectionMaxCrashes: z
      .number()
      .int()
      .min(1)
      .prefault(5)
      .describe('Failures within the window that stop the pool (Stopped, RapidFail) until an admin starts it.'),
    loadBalancerCapabilities: z
      .enum(['HttpLevel', 'TcpLevel'])
      .prefault('HttpLevel')
      .describe('When a request cannot be served (queue full, pool stopped): HttpLevel = 503, TcpLevel = TCP reset.'),
    orphanWorkerProcess: z
      .boolean()
      .prefault(false)
      .describe('Leave an unhealthy worker running (orphaned, for debugging) instead of killing it.'),
    orphanActionCommand: argv
      .nullable()
      .prefault(null)
      .describe('argv run when a worker is orphaned; "%1%" in an argument is replaced by its PID. null = none.'),
    autoShutdownCommand: argv
      .nullable()
      .prefault(null)
      .describe('argv run when the pool is stopped by rapid-fail protection. null = none.'),
  })
  .prefault({})
  .describe('Failure handling (IIS failure).');

export const cpuSchema = z
  .strictObject({
    limit: z
      .number()
      .int()
      .min(0)
      .max(100000)
      .prefault(0)
      .describe(
        'Max CPU of one worker per resetInterval, in 1/1000 of a percent of one CPU (100000 = 100 %). 0 = off.',
      ),
    action: z
      .enum(['NoAction', 'KillW3wp', 'Throttle', 'ThrottleUnderLoad'])
      .prefault('NoAction')
      .describe(
        'On exceeding the limit: NoAction (event only), ' +
          'KillW3wp (kill that worker; the next request starts a new one), ' +
          'Throttle (SIGSTOP/SIGCONT duty cycling down to the limit), ' +
          'ThrottleUnderLoad (throttle only while the load average is at least the CPU count).',
      ),
    resetInterval: durationSchema.prefault('5m').describe('CPU accounting window. 0 = CPU monitoring off.'),
  })
  .prefault({})
  .describe('CPU limit (IIS cpu).');

export const poolSchema = z
  .strictObject({
    name: z
      .string()
      .regex(POOL_NAME_PATTERN, {
        error: (iss) => `bad pool name ${JSON.stringify(iss.input)} (letters, digits, ".", "_", "-")`,
      })
      .describe('Unique pool name (letters, digits, ".", "_", "-"); used in logs, events and the admin API.'),
    queueLength: z
      .number()
      .int()
      .min(10)
      .max(65535)
      .prefault(1000)
      .describe('Max requests waiting for a worker of this pool; beyond it requests get 503 (or a reset).'),
    startMode: z
      .enum(['OnDemand', 'AlwaysRunning'])
      .prefault('OnDemand')
      .describe('OnDemand: the first request starts a worker. AlwaysRunning: workers start with the pool.'),
    autoStart: z
      .boolean()
      .prefault(true)
      .describe('Start the pool when w3 starts; false leaves it Stopped until an admin starts it.'),
    retryIdempotent: z
      .boolean()
      .prefault(true)
      .describe(
        'w3 extension: replay an idempotent request (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) without a body, ' +
          'once, on another worker when its worker died before sending any response byte.',
      ),
    processModel: processModelSchema,
    recycling: recyclingSchema,
    failure: failureSchema,
    cpu: cpuSchema,
  })
  .describe('An application pool: a queue and a set of worker processes isolated from other pools.');
