// Test support for container tests: makes sure Docker runs (scripts/ensure-docker.sh) while the test file is
// collected, so a file can register its tests as skipped — with the reason printed and in the test name — when no
// Docker engine can be started here. Never a silent pass.
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
  // Straight to stderr: Jest drops console output of a file whose tests are all skipped.
  process.stderr.write(`\n[${name}] SKIPPED: no Docker engine can be started here: ${d.reason}\n`);
  describe(name, () => {
    test.skip(`SKIPPED (no Docker engine: ${d.reason})`, () => undefined);
  });
  describe.skip(name, fn);
}

/** A run id unique to one test file run, for labels and cleanup. */
export function testRunId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${process.pid}`;
}
