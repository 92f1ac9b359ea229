import { contentLengthIn, startSendAllowance } from './framed-send-allowance';
import { SendRateWatch, type SendRateTracked } from './send-rate';

function headOf(text: string): { chunk: Buffer; end: number } {
  const chunk = Buffer.from(text, 'latin1');
  return { chunk, end: chunk.indexOf('\r\n\r\n') };
}

function tracked(): SendRateTracked {
  return { sendDeadline: 0, sendTotal: 0, sendHanded: 0, sendBacklog: () => 0, onSendRateExpired: () => undefined };
}

describe('the Content-Length of a framed response head', () => {
  it.each([
    ['Node’s spelling', 'HTTP/1.1 200 OK\r\nContent-Length: 12\r\nDate: x\r\n\r\nhello', 12],
    ['lower case', 'HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n', 7],
    ['another spelling', 'HTTP/1.1 200 OK\r\nX: y\r\nCONTENT-length:   42  \r\n\r\n', 42],
    ['the last header', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 0],
  ])('reads it in %s', (_name, text, length) => {
    const { chunk, end } = headOf(text);
    expect(contentLengthIn(chunk, end)).toBe(length);
  });

  it.each([
    ['none', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello'],
    ['not a number', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n'],
    ['negative', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['in the body only', 'HTTP/1.1 200 OK\r\nX: y\r\n\r\n\r\nContent-Length: 5\r\n'],
  ])('gives null when it is %s', (_name, text) => {
    const { chunk, end } = headOf(text);
    expect(contentLengthIn(chunk, end)).toBeNull();
  });
});

describe('the first send allowance of a framed response', () => {
  const now = 1_000_000;
  const watch = (): SendRateWatch => new SendRateWatch(1000, () => now);

  it('covers the head and the announced body, counting the body bytes of the first chunk as handed', () => {
    const w = watch();
    const t = tracked();
    const text = 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n';
    startSendAllowance(w, t, Buffer.from(text + 'x'.repeat(100)));
    w.close();
    expect(t.sendTotal).toBe(text.length + 1000);
    expect(t.sendHanded).toBe(text.length + 100);
    expect(t.sendDeadline).toBe(now + (text.length + 1000) * 1);
  });

  it('covers only the bytes at hand when the head announces no length or is not complete', () => {
    for (const text of ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello', 'HTTP/1.1 200 OK\r\nX: ']) {
      const w = watch();
      const t = tracked();
      startSendAllowance(w, t, Buffer.from(text));
      w.close();
      expect(t.sendTotal).toBe(text.length);
      expect(t.sendHanded).toBe(text.length);
    }
  });
});
