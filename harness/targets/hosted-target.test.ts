// HostedTarget: what a target releases when it ends (a temp socket folder) goes however it ends — after a stop, a
// kill, the exit-time killSync, and after a stop or kill that failed — and only once.
import type { LabEvent } from '../events';
import { HostedTarget } from './hosted-target';
import type { TargetLogEvent } from './event-log';
import type { TargetHost } from './target-host';

function fakeHost(fail: 'none' | 'stop' | 'kill' | 'killSync'): TargetHost {
  const boom = (what: string) => new Error(`${what} failed`);
  return {
    runtime: 'process',
    events: () => [],
    waitForEvent: () => Promise.reject(boom('wait')),
    signal: () => Promise.resolve(),
    stop: () => (fail === 'stop' ? Promise.reject(boom('stop')) : Promise.resolve()),
    kill: () => (fail === 'kill' ? Promise.reject(boom('kill')) : Promise.resolve()),
    killSync: () => {
      if (fail === 'killSync') throw boom('killSync');
    },
    details: () => ({}),
  };
}

class Target extends HostedTarget {
  readonly name = 'fake';
  constructor(host: TargetHost, release: () => void) {
    super(host, { host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1' }, 100);
    this.releaseWhenEnded(release);
  }
  protected mapEvent(_raw: TargetLogEvent): LabEvent | null {
    return null;
  }
}

describe('HostedTarget releases', () => {
  it.each([
    ['stop', (t: Target) => t.stop()],
    ['kill', (t: Target) => t.kill()],
    ['killSync', (t: Target) => Promise.resolve(t.killSync())],
  ] as const)('run once after %s, and not again on a second end', async (_name, end) => {
    const release = jest.fn();
    const t = new Target(fakeHost('none'), release);
    expect(release).not.toHaveBeenCalled();
    await end(t);
    expect(release).toHaveBeenCalledTimes(1);
    await t.kill();
    t.killSync();
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('run when the stop, the kill or killSync failed, and the failure still reaches the caller', async () => {
    for (const fail of ['stop', 'kill', 'killSync'] as const) {
      const release = jest.fn();
      const t = new Target(fakeHost(fail), release);
      const end = fail === 'stop' ? t.stop() : fail === 'kill' ? t.kill() : Promise.resolve().then(() => t.killSync());
      await expect(end).rejects.toThrow(`${fail} failed`);
      expect(release).toHaveBeenCalledTimes(1);
    }
  });
});
