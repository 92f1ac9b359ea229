import { ensureImage, W3_IMAGE } from '../image-build';
test('time', async () => {
  const log = (m: string) => console.log(new Date().toISOString(), m);
  const cold = await ensureImage(W3_IMAGE, { log });
  const warm = await ensureImage(W3_IMAGE, { force: true, log });
  const hit = await ensureImage(W3_IMAGE, { log });
  console.log(JSON.stringify({ cold: cold.durationMs, coldBuilt: cold.built, warm: warm.durationMs, hit: hit.durationMs }));
}, 300000);
