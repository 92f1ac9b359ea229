import { FrameDecoder, FrameWriter, FrameError, FrameType, FRAME_HEADER_BYTES, type FrameSink } from './frame-codec';

interface Seen {
  type: number;
  stream: number;
  payload: string;
}

/** A sink that records what was written; the writer flushes only when the test says so. */
function recordingWriter(): { writer: FrameWriter; writes: Buffer[]; corks: number; flushes: (() => void)[] } {
  const writes: Buffer[] = [];
  const flushes: (() => void)[] = [];
  const state = { corks: 0 };
  const sink: FrameSink = {
    write: (b) => (writes.push(Buffer.from(b)), true),
    cork: () => void state.corks++,
    uncork: () => undefined,
    destroyed: false,
  };
  const writer = new FrameWriter(sink, (fn) => flushes.push(fn));
  return {
    writer,
    writes,
    get corks() {
      return state.corks;
    },
    flushes,
  };
}

function decodeAll(bytes: Buffer, splits: number[], max = 1 << 20): Seen[] {
  const seen: Seen[] = [];
  const d = new FrameDecoder(
    (type, stream, payload) => seen.push({ type, stream, payload: payload.toString('latin1') }),
    max,
  );
  let prev = 0;
  for (const s of [...splits, bytes.length]) {
    d.push(bytes.subarray(prev, s));
    prev = s;
  }
  expect(d.buffered).toBe(0);
  return seen;
}

function encode(frames: [number, number, string | Buffer][]): Buffer {
  const { writer, writes } = recordingWriter();
  for (const [t, s, p] of frames) writer.send(t as FrameType, s, p);
  writer.flush();
  return Buffer.concat(writes);
}

const SAMPLE: [number, number, string][] = [
  [FrameType.OPEN, 1, '{"address":"127.0.0.1","port":5000}'],
  [FrameType.DATA, 1, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'],
  [FrameType.RESP_END, 1, ''],
  [FrameType.DATA, 0xffffffff, 'x'],
  [FrameType.FIN, 7, ''],
  [FrameType.RST, 2, ''],
];

describe('frame codec', () => {
  it('round-trips frames, including empty payloads and the largest stream id', () => {
    const bytes = encode(SAMPLE);
    expect(bytes.length).toBe(SAMPLE.reduce((n, f) => n + FRAME_HEADER_BYTES + f[2].length, 0));
    expect(decodeAll(bytes, [])).toEqual(SAMPLE.map(([type, stream, payload]) => ({ type, stream, payload })));
  });

  it('decodes the same frames whatever byte boundary the stream is split at (every single and double split)', () => {
    const bytes = encode(SAMPLE);
    const expected = decodeAll(bytes, []);
    for (let i = 1; i < bytes.length; i++) {
      expect(decodeAll(bytes, [i])).toEqual(expected);
      for (let j = i + 1; j < bytes.length; j += 7) expect(decodeAll(bytes, [i, j])).toEqual(expected);
    }
    // One byte at a time.
    expect(
      decodeAll(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(expected);
  });

  it('batches every frame of one turn into one write, large payloads by reference through cork/writev', () => {
    const w = recordingWriter();
    w.writer.send(FrameType.DATA, 1, 'a');
    w.writer.send(FrameType.DATA, 2, 'b');
    expect(w.flushes).toHaveLength(1); // one flush scheduled for the turn
    expect(w.writes).toHaveLength(0);
    w.flushes[0]!();
    expect(w.writes).toHaveLength(1);
    const big = Buffer.alloc(100_000, 0x61);
    w.writer.send(FrameType.DATA, 3, 'c');
    w.writer.send(FrameType.DATA, 3, big);
    w.writer.send(FrameType.RESP_END, 3);
    w.flushes[1]!();
    expect(w.corks).toBe(1);
    const seen = decodeAll(Buffer.concat(w.writes), []);
    expect(seen.map((f) => [f.stream, f.payload.length])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [3, 100_000],
      [3, 0],
    ]);
  });

  it('keeps bytes already handed to the socket intact when the slab fills up (many frames in one turn)', () => {
    const w = recordingWriter();
    const frames: [number, number, string][] = [];
    for (let i = 0; i < 5000; i++) frames.push([FrameType.DATA, i, `payload-${i}-${'z'.repeat(i % 50)}`]);
    for (const [t, s, p] of frames) w.writer.send(t as FrameType, s, p);
    w.writer.flush();
    expect(decodeAll(Buffer.concat(w.writes), [])).toEqual(
      frames.map(([type, stream, payload]) => ({ type, stream, payload })),
    );
  });

  it('refuses a frame above the size limit before buffering its payload', () => {
    const bytes = encode([[FrameType.DATA, 1, 'x'.repeat(101)]]);
    const d = new FrameDecoder(() => undefined, 100);
    expect(() => d.push(bytes.subarray(0, FRAME_HEADER_BYTES))).toThrow(FrameError);
    expect(d.buffered).toBe(0);
    // Once failed, it stays failed (the connection is to be dropped).
    expect(() => d.push(Buffer.from('more'))).toThrow(/exceeds the limit/);
  });

  it('refuses garbage: unknown types, type 0, random bytes — with code W3_ERR_FRAME, never a hang', () => {
    for (const type of [0, 10, 0x47, 255]) {
      const b = Buffer.alloc(FRAME_HEADER_BYTES);
      b[0] = type;
      const d = new FrameDecoder(() => undefined, 1 << 20);
      expect(() => d.push(b)).toThrow(expect.objectContaining({ code: 'W3_ERR_FRAME' }));
    }
    // HTTP text where frames are expected: 'G' is not a frame type.
    const d = new FrameDecoder(() => undefined, 1 << 20);
    expect(() => d.push(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toThrow(/unknown frame type 71/);
    // Seeded random garbage: each input either decodes to frames or throws FrameError; buffered stays bounded.
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
    for (let n = 0; n < 500; n++) {
      const g = Buffer.from(Array.from({ length: 1 + (rnd() % 64) }, rnd));
      const dec = new FrameDecoder(() => undefined, 4096);
      try {
        dec.push(g);
      } catch (err) {
        expect(err).toBeInstanceOf(FrameError);
      }
      expect(dec.buffered).toBeLessThanOrEqual(4096 + FRAME_HEADER_BYTES);
    }
  });

  it('writes nothing to a destroyed socket and nothing when nothing was queued', () => {
    const writes: Buffer[] = [];
    const sink = {
      write: (b: Buffer) => (writes.push(b), true),
      cork: () => undefined,
      uncork: () => undefined,
      destroyed: true,
    };
    const w = new FrameWriter(sink, () => undefined);
    w.flush();
    w.send(FrameType.DATA, 1, 'x');
    w.flush();
    expect(writes).toHaveLength(0);
    expect(w.queued).toBe(0);
  });
});
