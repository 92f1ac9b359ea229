// The HAProxy part of the haproxy peer's driver (common/front-driver.js does the rest): the generated config, the
// command line (master-worker in the foreground, master CLI socket in the run folder), reading its output (request
// log lines with retries → RequestRetried; a server marked DOWN by its health check → PingFailed for the backend on
// that slot), a reload through the master CLI, and a graceful stop (SIGUSR1: soft stop).
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { haproxyConfig, parseHaproxyLine } = require('./config');

module.exports = {
  name: 'haproxy',
  writeConfig(ctx) {
    const file = path.join(ctx.prefix, 'haproxy.cfg');
    const s = ctx.settings;
    fs.writeFileSync(
      file,
      haproxyConfig({
        host: ctx.host,
        port: ctx.port,
        backends: ctx.backendPorts,
        check: s.check,
        retries: s.retries,
        timeoutConnectMs: s.timeoutConnectMs,
        timeoutClientMs: s.timeoutClientMs,
        timeoutServerMs: s.timeoutServerMs,
        healthPath: s.healthPath,
      }),
    );
    return file;
  },
  socket: (ctx) => path.join(ctx.prefix, 'master.sock'),
  command(ctx, configFile) {
    return { cmd: ctx.settings.bin, args: ['-W', '-f', configFile, '-S', this.socket(ctx)] };
  },
  isRequestLine: (line) => line.startsWith('{"ts"'),
  onLine(ctx, line) {
    const o = parseHaproxyLine(line);
    if (!o) return;
    const slot = (server) => Number(String(server).replace(/^b/, ''));
    const pidOf = (server) => ctx.pool.workers().find((w) => w.id === slot(server))?.pid;
    if (o.kind === 'request' && o.retries > 0) {
      ctx.kit.emit('RequestRetried', {
        status: o.status,
        attempts: o.retries + 1,
        redispatched: o.redispatched,
        servedBy: pidOf(o.server),
        t: o.t,
      });
    } else if (o.kind === 'check-failed') {
      (ctx.lastCheckFailure ??= new Map()).set(o.server, o.reason);
    } else if (o.kind === 'down') {
      const reason = `health check: ${ctx.lastCheckFailure?.get(o.server) ?? 'failed'}`;
      ctx.kit.emit('PingFailed', {
        eventId: 5010,
        workerId: slot(o.server),
        pid: pidOf(o.server),
        reason,
        server: o.server,
      });
    } else if (o.kind === 'up') {
      ctx.kit.emit('WorkerHealthy', {
        workerId: slot(o.server),
        pid: pidOf(o.server),
        reason: 'health check passed',
        server: o.server,
      });
    }
  },
  /** A reload through the master CLI (`reload`): a new worker takes the listeners, the old one finishes. */
  reload(ctx) {
    return new Promise((resolve, reject) => {
      const c = net.connect(this.socket(ctx));
      let out = '';
      c.on('data', (d) => (out += d));
      c.on('error', (err) => reject(Object.assign(new Error(`haproxy master CLI: ${err.message}`), { status: 500 })));
      c.on('connect', () => c.end('reload\n'));
      c.on('close', () =>
        /fail|error/i.test(out)
          ? reject(Object.assign(new Error(`haproxy reload: ${out.trim()}`), { status: 500 }))
          : resolve(),
      );
    });
  },
  stop(_ctx, child) {
    child.kill('SIGUSR1');
  },
};
