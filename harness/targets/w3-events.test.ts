// The w3 adapter's mapping, event by event, from the shapes w3 emits (typed by w3's own event definitions) to the
// lab vocabulary, every result checked against the vocabulary's schema.
import type { W3Event } from '../../targets/w3/events/event-types';
import { readLabEvent, type LabEvent } from '../events';
import { labEventFromW3 } from './w3-events';

const t = 1_760_000_000_000;
const w = { pool: 'app', workerId: 3, pid: 4242 };

function map(e: Omit<W3Event, 't'>): LabEvent {
  const out = labEventFromW3({ t, ...e } as W3Event);
  expect(out).not.toBeNull();
  const read = readLabEvent(out);
  if (!read.ok) throw new Error(`${String(e.type)}: ${read.reason}`);
  return out!;
}

describe('labEventFromW3', () => {
  it('names recycle reasons neutrally: an admin recycle is "admin", not OnDemand', () => {
    const cases: [string, string][] = [
      ['Time', 'time'],
      ['Requests', 'requests'],
      ['Schedule', 'schedule'],
      ['Memory', 'memory'],
      ['PrivateMemory', 'private-memory'],
      ['IsapiUnhealthy', 'unhealthy'],
      ['OnDemand', 'admin'],
      ['ConfigChange', 'config-change'],
    ];
    for (const [w3, lab] of cases) {
      expect(
        map({ type: 'RecycleStarted', eventId: 5079, ...w, recycleId: 1, reason: w3, overlapped: true }),
      ).toMatchObject({ reason: lab });
    }
  });

  it('carries what a memory recycle measured and the limit it passed; no IIS event id', () => {
    const e = map({
      type: 'RecycleStarted',
      eventId: 5117,
      ...w,
      recycleId: 9,
      reason: 'PrivateMemory',
      overlapped: true,
      detail: '204900 KB > 200000 KB',
      privateMemoryKB: 204_900,
      limitKB: 200_000,
    });
    expect(e).toEqual({
      t,
      type: 'RecycleStarted',
      source: 'w3',
      ...w,
      recycleId: 9,
      reason: 'private-memory',
      overlapped: true,
      privateMemoryKB: 204_900,
      limitKB: 200_000,
    });
    expect(e).not.toHaveProperty('eventId');
  });

  it('says how a worker crashed: exit code, signal, during startup', () => {
    expect(
      map({ type: 'WorkerCrashed', eventId: 5009, ...w, exitCode: null, signal: 'SIGABRT', reason: 'crash' }),
    ).toMatchObject({ exitCode: null, signal: 'SIGABRT', duringStartup: false });
    expect(map({ type: 'WorkerCrashed', ...w, exitCode: 1, signal: null, reason: 'startup-crash' })).toMatchObject({
      exitCode: 1,
      signal: null,
      duringStartup: true,
    });
  });

  it("classifies kills by w3's kind, or by its reason text", () => {
    expect(map({ type: 'WorkerKilled', ...w, reason: 'no ping response within 500 ms', kind: 'ping' })).toMatchObject({
      reason: 'ping',
      detail: 'no ping response within 500 ms',
    });
    expect(
      map({ type: 'WorkerKilled', ...w, reason: 'a request made no progress for 1000 ms while pings were answered' }),
    ).toMatchObject({ reason: 'stalled' });
    expect(map({ type: 'WorkerKilled', ...w, reason: 'ill-formed control message (IIS 5127)' })).toMatchObject({
      reason: 'malformed-message',
    });
    expect(map({ type: 'WorkerKilled', ...w, reason: 'cpu-limit' })).toMatchObject({ reason: 'cpu-limit' });
    expect(map({ type: 'WorkerKilled', ...w, reason: 'orphan (timeout)' })).toMatchObject({ reason: 'orphan' });
  });

  it('maps pool stops, rapid-fail counts and queue overflows', () => {
    expect(map({ type: 'PoolStopped', eventId: 5002, pool: 'app', reason: 'RapidFail' })).toMatchObject({
      reason: 'rapid-fail',
    });
    expect(map({ type: 'PoolStopped', pool: 'app', reason: 'Admin' })).toMatchObject({ reason: 'admin' });
    expect(
      map({ type: 'RapidFailCount', pool: 'app', reason: 'malformed-message', count: 2, windowMs: 300_000 }),
    ).toMatchObject({ failure: 'malformed-message', count: 2 });
    expect(map({ type: 'QueueFull', pool: 'app', queueLength: 10 })).toMatchObject({ queueLength: 10 });
  });

  it("maps the rest of w3's worker and request events", () => {
    expect(map({ type: 'WorkerStarting', ...w, recycleId: 2 })).toMatchObject({ recycleId: 2 });
    expect(map({ type: 'WorkerReady', ...w, startupMs: 120 })).toMatchObject({ startupMs: 120 });
    expect(map({ type: 'WorkerExited', ...w, exitCode: 0, signal: null, reason: 'recycle' })).toMatchObject({
      reason: 'recycle',
      exitCode: 0,
    });
    expect(map({ type: 'WorkerDraining', ...w, reason: 'idle', inFlight: 0 })).toMatchObject({ reason: 'idle' });
    expect(map({ type: 'PingFailed', eventId: 5010, ...w, pingResponseTimeMs: 500 })).toMatchObject({ waitedMs: 500 });
    expect(map({ type: 'RequestStalled', ...w, waitedMs: 1000, stalledRequests: 3 })).toMatchObject({
      stalledRequests: 3,
    });
    expect(map({ type: 'StartupTimeout', eventId: 5012, ...w, limitMs: 90_000 })).toMatchObject({ limitMs: 90_000 });
    expect(map({ type: 'ShutdownTimeout', eventId: 5013, ...w, limitMs: 1000, inFlight: 2 })).toMatchObject({
      inFlight: 2,
    });
    expect(map({ type: 'IdleShutdown', eventId: 5186, ...w, idleMs: 1200 })).toMatchObject({ idleMs: 1200 });
    expect(
      map({
        type: 'RecycleCompleted',
        pool: 'app',
        recycleId: 9,
        reason: 'OnDemand',
        oldPid: 1,
        newPid: 2,
        readyMs: null,
        cancelled: true,
      }),
    ).toMatchObject({ reason: 'admin', readyMs: null, cancelled: true });
    expect(map({ type: 'RecycleOverlapFailed', eventId: 5093, ...w, recycleId: 9, reason: 'Time' })).toMatchObject({
      reason: 'time',
    });
    expect(
      map({ type: 'RequestRetried', pool: 'app', pid: 7, method: 'GET', url: '/x', error: 'socket hang up' }),
    ).toMatchObject({ method: 'GET', url: '/x' });
    expect(
      map({ type: 'RequestAbandoned', pool: 'app', pid: 7, method: 'POST', url: '/x', responseStarted: true }),
    ).toMatchObject({ responseStarted: true });
    expect(map({ type: 'FaultInjected', ...w, fault: { kind: 'hang', mode: 'block-loop' } })).toMatchObject({
      faultKind: 'hang',
      pid: 4242,
    });
    expect(map({ type: 'HostStarted', listen: { host: '127.0.0.1', port: 8080 } })).toMatchObject({
      listen: { port: 8080 },
    });
  });

  it('returns null for what the vocabulary has no word for, or an event missing its worker', () => {
    expect(labEventFromW3({ t, type: 'WorkerCrashed', pool: 'app' })).toBeNull();
    expect(labEventFromW3({ t, type: 'RapidFailCount', pool: 'app', reason: 'nonsense' })).toBeNull();
    expect(labEventFromW3({ t, type: 'SomethingNew' } as unknown as W3Event)).toBeNull();
  });
});
