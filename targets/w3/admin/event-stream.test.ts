// GET /events?follow=1 with backpressure: a follower that stops reading is cut once MAX_FOLLOW_BACKLOG_BYTES wait
// for it; the host never buffers more than that for it. A reader that keeps up gets every event, in order.
import http from 'node:http';
import net from 'node:net';
import { EventLog } from '../events/event-log';
import { silentLogger } from '../util/logger';
import { MAX_FOLLOW_BACKLOG_BYTES, streamEvents } from './event-stream';

function serve(events: EventLog): Promise<{ server: http.Server; port: number; peak: () => number }> {
  let peak = 0;
  const server = http.createServer((req, res) => {
    const timer = setInterval(() => (peak = Math.max(peak, res.writableLength)), 1);
    res.once('close', () => clearInterval(timer));
    void streamEvents(events, res, {
      since: 0,
      follow: new URL(req.url!, 'http://x').searchParams.get('follow') === '1',
      log: silentLogger(),
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as net.AddressInfo).port, peak: () => peak }),
    ),
  );
}

test('a follower that never reads is cut; the host held at most the backlog limit for it', async () => {
  const events = new EventLog(silentLogger());
  const { server, port, peak } = await serve(events);
  const client = net.connect(port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  client.write('GET /events?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n');
  client.pause(); // never reads: the kernel buffers fill, then the host's
  await new Promise((r) => setTimeout(r, 100));
  const closed = new Promise((r) => client.once('close', r));
  client.on('error', () => undefined);
  for (let i = 0; i < 40_000 && !client.destroyed; i++) {
    events.emit({ type: 'ConfigReloadRejected', reason: 'r'.repeat(900) });
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  client.resume(); // let the close be seen
  await closed;
  expect(peak()).toBeLessThanOrEqual(MAX_FOLLOW_BACKLOG_BYTES + 64 * 1024);
  server.close();
});

test('a follower that reads gets the snapshot and then every new event, in order', async () => {
  const events = new EventLog(silentLogger());
  for (let i = 0; i < 3000; i++) events.emit({ type: 'QueueFull', pool: 'p', queueLength: i });
  const { server, port } = await serve(events);
  const got: number[] = [];
  await new Promise<void>((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', path: '/events?follow=1' }, (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            got.push(JSON.parse(buf.slice(0, i)).queueLength as number);
            buf = buf.slice(i + 1);
          }
          if (got.length === 3000)
            for (let k = 3000; k < 3100; k++) events.emit({ type: 'QueueFull', pool: 'p', queueLength: k });
          if (got.length === 3100) {
            res.destroy();
            resolve();
          }
        });
      })
      .on('error', reject);
  });
  expect(got).toEqual(Array.from({ length: 3100 }, (_, i) => i));
  server.close();
});
