import { nginxConfig } from './nginx';

describe('nginxConfig', () => {
  it('runs one foreground worker with upstream keep-alive and keeps every file in the temp dir', () => {
    const conf = nginxConfig('/tmp/x', 4001, 4002, true);
    expect(conf).toContain('daemon off;');
    expect(conf).toContain('worker_processes 1;');
    expect(conf).toContain('user root;');
    expect(conf).toContain('upstream u { server 127.0.0.1:4001; keepalive 64; }');
    expect(conf).toContain('listen 127.0.0.1:4002;');
    expect(conf).toContain('proxy_set_header Connection "";');
    expect(conf).toContain('access_log off;');
    for (const line of conf.split('\n').filter((l) => /(_log|pid|_path) \//.test(l))) expect(line).toContain('/tmp/x/');
  });

  it('leaves the user directive out when not running as root', () => {
    expect(nginxConfig('/tmp/x', 1, 2, false)).not.toContain('user root;');
  });
});
