// The checker tests build events through RunBuilder.event(), typed from the lab's event vocabulary: these lines
// are compile-time tests (tsc --noEmit runs over test files). Each @ts-expect-error fails the type check if the
// line below it compiles — an invented field, a misspelled type or a wrong value would then pass unnoticed. Each
// call is kept on one short line so that the error and its directive stay together whatever the formatter does.
import { RunBuilder } from './run-builder';

const worker = { pool: 'app', pid: 1 } as const;
const died = { ...worker, exitCode: null, signal: 'SIGKILL', duringStartup: false } as const;

describe('RunBuilder events are typed from the vocabulary', () => {
  it('refuses invented fields, misspelled types and values outside the vocabulary (compile-time)', () => {
    const b = new RunBuilder();
    // @ts-expect-error w3 never emits an "oom" reason on a crash (the review's invented shape)
    b.event(0, 'WorkerCrashed', { ...died, reason: 'oom' });
    // @ts-expect-error duringStartup is required
    b.event(0, 'WorkerCrashed', { ...worker, exitCode: null, signal: 'SIGKILL' });
    // @ts-expect-error no such event type
    b.event(0, 'WorkerOom', worker);
    // @ts-expect-error recycle reasons are the vocabulary's words ('admin'), not w3's (OnDemand)
    b.event(0, 'RecycleStarted', { ...worker, recycleId: 1, reason: 'OnDemand' });
    // @ts-expect-error stderr text is not a field of any event
    b.event(0, 'WorkerKilled', { ...worker, reason: 'memory', stderr: 'JavaScript heap out of memory' });
    b.event(0, 'RecycleStarted', { ...worker, recycleId: 1, reason: 'private-memory', privateMemoryKB: 2, limitKB: 1 });
    const types = b.events.map((e) => e.type);
    expect(types).toEqual([
      'WorkerCrashed',
      'WorkerCrashed',
      'WorkerOom',
      'RecycleStarted',
      'WorkerKilled',
      'RecycleStarted',
    ]);
  });
});
