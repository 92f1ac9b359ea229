// Runs the throughput comparison and reports its numbers. Not a speed test: speed goals belong to the bench.
import { spawn, type ChildProcess } from 'node:child_process';
import { compareWithAutocannon } from './compare-throughput';

// The server runs in its own process so it does not share a core with the clients under test.
const SERVER = `
const http = require('http');
const s = http.createServer((req, res) => {
  res.setHeader('x-w3-worker-pid', String(process.pid));
  res.end('hello world');
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

describe('compareWithAutocannon', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('measures autocannon and the tracked client on the same server', async () => {
    child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child!.once('error', reject);
      child!.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    });
    const result = await compareWithAutocannon(`http://127.0.0.1:${port}/`, 10, 2000);

    console.log(`throughput (10 connections, 2 s): ${JSON.stringify(result)}`);
    expect(result.autocannon.requests).toBeGreaterThan(0);
    expect(result.tracked.requests).toBeGreaterThan(0);
    expect(result.tracked.ok).toBe(result.tracked.requests);
    expect(result.tracked.historyRecords).toBe(result.tracked.requests + 10);
    expect(result.ratio).toBeGreaterThan(0);
  });
});
