import { ensureImage, W3_IMAGE } from '../image-build';
test('time', async () => {
  const log = (m: string) => console.log(new Date().toISOString(), m);
  const warm = await ensureImage(W3_IMAGE, { force: true, log });
  console.log(JSON.stringify({ warm: warm.durationMs }));
}, 300000);
