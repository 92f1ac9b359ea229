// How the manager reaches a command-mode worker (any program listening on 127.0.0.1:$PORT): a free port to hand
// it, and the probe used both for readiness and as its health ping — a TCP connect, or an HTTP GET of healthPath
// that must answer below 500.
import net from 'node:net';
import http from 'node:http';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** TCP connect, or an HTTP GET of `healthPath` answering < 500, within timeoutMs. */
export function probe(port: number, healthPath: string | null, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!healthPath) {
      const s = net.connect(port, '127.0.0.1');
      const t = setTimeout(() => s.destroy(new Error('timeout')), timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        s.destroy();
        resolve();
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
      return;
    }
    const req = http.get({ host: '127.0.0.1', port, path: healthPath, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      if ((res.statusCode ?? 500) < 500) resolve();
      else reject(new Error(`health ${res.statusCode}`));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}
