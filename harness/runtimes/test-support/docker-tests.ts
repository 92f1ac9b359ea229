// Test support for container tests: makes sure Docker runs (scripts/ensure-docker.sh) while the test file is
// collected. When no engine can be started the file's tests fail with the reason (registerWithoutEngine). Never a
// silent pass.
import { ensureDocker, type DockerAvailability } from '../docker-env';

let cached: DockerAvailability | null = null;

export function dockerForTests(): DockerAvailability {
  cached ??= ensureDocker({ timeoutMs: 300_000 });
  return cached;
}

/** `describe` when Docker is available, otherwise a skipped describe plus a skipped test naming the reason. */
export function describeWithDocker(name: string, fn: () => void): void {
  const d = dockerForTests();
  if (d.ok) {
    describe(name, fn);
    return;
  }
  process.stderr.write(`\n[${name}] no Docker engine can be started here: ${d.reason}\n`);
  registerWithoutEngine(name, `no Docker engine: ${d.reason}`);
}

/**
 * Without an engine the container tests fail, naming why: a run that tested no container must not look green.
 * Only a machine that declares it has no Docker (W3LAB_ALLOW_NO_DOCKER=1) gets instead one test that the
 * availability check states what is missing; it never passes the container tests themselves.
 */
export function registerWithoutEngine(name: string, reason: string): void {
  describe(name, () => {
    if (process.env['W3LAB_ALLOW_NO_DOCKER'] === '1') {
      test(`declared without Docker: the reason is stated (${reason})`, () => {
        expect(reason).toMatch(/^no (Docker|second) engine: \S/);
      });
    } else {
      test(`needs a Docker engine (set W3LAB_ALLOW_NO_DOCKER=1 on a machine without one)`, () => {
        throw new Error(reason);
      });
    }
  });
}

/** A run id unique to one test file run, for labels and cleanup. */
export function testRunId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${process.pid}`;
}
