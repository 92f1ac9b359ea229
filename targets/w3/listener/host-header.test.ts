import { isValidHost, hostName } from './host-header';

describe('isValidHost', () => {
  it.each(['a', 'a.b-c_d~', 'A:80', 'a:', '127.0.0.1:65535', '[::1]', '[::1]:8080', '%41.example', "a!$&'()*+,;=b"])(
    '%s is valid',
    (h) => {
      expect(isValidHost(h)).toBe(true);
    },
  );
  it.each(['', 'a b', 'a/b', 'u@a', 'a:8x', 'a:123456', '[::1', '[]', '[::g]', 'a\tb', ':80', 'é.example', 'a"b'])(
    '%s is invalid',
    (h) => {
      expect(isValidHost(h)).toBe(false);
    },
  );
});

describe('hostName', () => {
  it('lower-cases and drops the port', () => {
    expect(hostName('A.Example:8080')).toBe('a.example');
    expect(hostName('[::1]:80')).toBe('[::1]');
    expect(hostName('b')).toBe('b');
  });
});
