// Without a reachable Docker engine, `w3lab clean`'s container part says so instead of failing or hanging.
import { removeLabContainers } from './container-runtime';

test('removeLabContainers reports a missing engine instead of throwing', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'unix:///nonexistent/w3lab-docker.sock';
  try {
    const lines = await removeLabContainers('any-run');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no Docker engine answering/);
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
}, 30_000);
