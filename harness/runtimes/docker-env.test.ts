// Which engine the runtime talks to, from DOCKER_HOST: a local one (default socket, Unix socket, TCP on loopback)
// gets the fixed 127.0.0.1 host and loopback-only ports; another machine's engine gets its own host.
import { engineIsLocal, prepareTestcontainersEnv } from './docker-env';

test('engineIsLocal', () => {
  for (const h of [
    undefined,
    '',
    'unix:///var/run/docker.sock',
    'unix:///tmp/d.sock',
    'tcp://127.0.0.1:2375',
    'tcp://localhost:2376',
    'tcp://[::1]:2375',
    'npipe:////./pipe/docker_engine',
  ]) {
    expect([h, engineIsLocal(h)]).toEqual([h, true]);
  }
  for (const h of [
    'tcp://10.0.0.5:2375',
    'tcp://docker.example:2376',
    'ssh://user@build-host',
    'tcp://[fd00::5]:2375',
  ]) {
    expect([h, engineIsLocal(h)]).toEqual([h, false]);
  }
});

test('prepareTestcontainersEnv: host override only for a local engine; explicit settings win', () => {
  const local: NodeJS.ProcessEnv = { DOCKER_HOST: 'tcp://127.0.0.1:23751' };
  prepareTestcontainersEnv(local);
  expect(local).toMatchObject({ TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1' });
  const remote: NodeJS.ProcessEnv = { DOCKER_HOST: 'tcp://10.0.0.5:2375' };
  prepareTestcontainersEnv(remote);
  expect(remote.TESTCONTAINERS_HOST_OVERRIDE).toBeUndefined();
  const mine: NodeJS.ProcessEnv = { TESTCONTAINERS_RYUK_DISABLED: 'false', TESTCONTAINERS_HOST_OVERRIDE: 'box' };
  prepareTestcontainersEnv(mine);
  expect(mine).toEqual({ TESTCONTAINERS_RYUK_DISABLED: 'false', TESTCONTAINERS_HOST_OVERRIDE: 'box' });
});
