import { haproxyConfig } from './haproxy';

describe('haproxyConfig', () => {
  it('runs one thread in HTTP mode with keep-alive and http-reuse always, no logging', () => {
    const conf = haproxyConfig(4001, 4002);
    expect(conf).toContain('nbthread 1');
    expect(conf).toContain('mode http');
    expect(conf).toContain('http-reuse always');
    expect(conf).toContain('bind 127.0.0.1:4002');
    expect(conf).toContain('server app 127.0.0.1:4001');
    expect(conf).not.toMatch(/^\s*log /m);
    expect(conf).not.toMatch(/daemon/);
  });
});
