// Without a reachable Docker engine, `w3lab clean`'s container part says so instead of failing.
import { removeLabContainers } from './container-runtime';

test('removeLabContainers reports a missing engine instead of throwing', async () => {
  const lines = await removeLabContainers('any-run', {
    connect: () => Promise.reject(new Error('Could not find a working container runtime strategy\nmore')),
  });
  expect(lines).toEqual([
    'no Docker engine answering (Could not find a working container runtime strategy); no lab containers to remove',
  ]);
});
