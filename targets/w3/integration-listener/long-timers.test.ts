// Listener timers longer than a Node timer can hold (2^31 - 1 ms, about 24.8 days) are held as "effectively off",
// never fired at once: Node runs a longer setTimeout after 1 ms, which would cut every upload at its first pause
// (entityBodyTimeout; w3 clamps it). The idle and header timers of 25 days are checked alongside: an idle keep-alive
// connection and a paused head must live on too. (Pool timers that long are refused: config/timer-limits.test.ts.)
import { connect } from './test-support/raw-client';
import { startEchoServer, type EchoServer } from './test-support/echo-server';

jest.setTimeout(60_000);

const PAUSE_MS = 1500;
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, PAUSE_MS));

describe('listener timers of 25 days', () => {
  let server: EchoServer;
  beforeAll(async () => {
    server = await startEchoServer({
      timers: { connectionTimeout: '25d', headerWaitTimeout: '25d', entityBodyTimeout: '25d' },
    });
  });
  afterAll(async () => server?.stop());

  it('connectionTimeout: an idle keep-alive connection stays open', async () => {
    const c = await connect(server.port);
    c.socket.write('GET /idle HTTP/1.1\r\nHost: t\r\n\r\n');
    expect((await c.response()).status).toBe(200);
    await expect(c.closed(PAUSE_MS)).rejects.toThrow(/timed out/);
    c.destroy();
  });

  it('headerWaitTimeout and entityBodyTimeout: a paused head and a paused body are still answered', async () => {
    const c = await connect(server.port);
    c.socket.write('POST /paused HTTP/1.1\r\n');
    await pause();
    c.socket.write('Host: t\r\nContent-Length: 10\r\n\r\nabcde');
    await pause();
    c.socket.write('fghij');
    const r = await c.response();
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toMatchObject({ method: 'POST', url: '/paused', bytes: 10 });
    c.destroy();
  });
});
