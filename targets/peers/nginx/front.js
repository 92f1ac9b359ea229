// The nginx part of the nginx peer's driver (common/front-driver.js does the rest): the generated config, the
// command line (foreground, prefix and error log in the run folder), reading its output (the JSON access log
// shows which requests nginx retried on another backend → RequestRetried), `nginx -s reload`, and a graceful stop
// (SIGQUIT: workers finish their requests).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { nginxConfig, parseAccessLine } = require('./config');

module.exports = {
  name: 'nginx',
  writeConfig(ctx) {
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
      fs.mkdirSync(path.join(ctx.prefix, 'tmp', d), { recursive: true });
    const file = path.join(ctx.prefix, 'nginx.conf');
    const s = ctx.settings;
    fs.writeFileSync(
      file,
      nginxConfig({
        prefix: ctx.prefix,
        host: ctx.host,
        port: ctx.port,
        backends: ctx.backendPorts,
        workerProcesses: s.workerProcesses,
        keepalive: s.keepalive,
        maxFails: s.maxFails,
        failTimeoutS: s.failTimeoutS,
      }),
    );
    return file;
  },
  command(ctx, configFile) {
    return { cmd: ctx.settings.bin, args: this.baseArgs(ctx, configFile) };
  },
  baseArgs(ctx, configFile) {
    return ['-p', ctx.prefix + path.sep, '-c', configFile, '-e', 'stderr'];
  },
  isRequestLine: (line) => line.startsWith('{"msec"'),
  /** nginx writes its access log to a file (a socket-backed stdout cannot be opened); the driver follows it. */
  requestLogFile: (ctx) => path.join(ctx.prefix, 'access.log'),
  onLine(ctx, line) {
    const a = parseAccessLine(line);
    if (!a || !a.retried) return;
    const pidOf = (addr) => ctx.pool.workers().find((w) => addr.endsWith(`:${w.port}`))?.pid;
    ctx.kit.emit('RequestRetried', {
      method: a.method,
      path: a.uri,
      status: a.status,
      upstreams: a.upstreams,
      upstreamStatuses: a.upstreamStatuses,
      attempts: a.upstreams.length,
      servedBy: pidOf(a.upstreams[a.upstreams.length - 1]),
      t: a.t,
    });
  },
  /** `nginx -s reload` (what a user types): the master re-reads the config, new workers, old ones drain. */
  reload(ctx, configFile) {
    return new Promise((resolve, reject) => {
      const p = spawn(ctx.settings.bin, [...this.baseArgs(ctx, configFile), '-s', 'reload'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      p.stdout.on('data', (c) => (out += c));
      p.stderr.on('data', (c) => (out += c));
      p.on('error', reject);
      p.on('exit', (code) =>
        code === 0
          ? resolve()
          : reject(Object.assign(new Error(`nginx -s reload exited ${code}: ${out.trim()}`), { status: 500 })),
      );
    });
  },
  stop(_ctx, child) {
    child.kill('SIGQUIT');
  },
};
