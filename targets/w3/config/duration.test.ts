import { durationSchema, parseDuration, positiveDurationSchema } from './duration';

describe('parseDuration', () => {
  it.each<[number | string, number]>([
    [0, 0],
    [250, 250],
    [1.4, 1],
    ['500ms', 500],
    ['90s', 90_000],
    ['1.5s', 1500],
    ['20m', 1_200_000],
    ['29h', 104_400_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s250ms', 90_250],
    ['0s', 0],
    ['00:01:30', 90_000],
    ['00:20:00', 1_200_000],
    ['29:00:00', 104_400_000],
    ['1.02:00:00', 93_600_000],
    ['00:00:01.5', 1500],
  ])('%p -> %p ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each<[unknown, RegExp]>([
    ['3x', /bad duration "3x" \(use ms or "500ms", "90s", "20m", "29h", "00:01:30"\)/],
    ['120', /bad duration "120"/], // a bare number in a string is ambiguous (seconds? ms?)
    ['', /bad duration ""/],
    [' 5s', /bad duration " 5s"/],
    ['5 s', /bad duration/],
    ['-5s', /bad duration/],
    ['30m1h', /largest first/],
    ['1m1m', /largest first/],
    ['00:61:00', /minutes must be 0-59/],
    ['00:00:60', /seconds must be 0-59/],
    ['1.24:00:00', /hours must be 0-23/],
    ['1:2:3', /bad duration/],
    [-1, /bad duration -1 \(must be a finite number of ms >= 0\)/],
    [Number.NaN, /bad duration NaN/],
    [Number.POSITIVE_INFINITY, /bad duration/],
    [true, /bad duration true/],
    [null, /bad duration null/],
  ])('rejects %p', (input, message) => {
    expect(() => parseDuration(input as number)).toThrow(message);
  });
});

describe('durationSchema', () => {
  it('turns accepted input into ms', () => {
    expect(durationSchema.parse('90s')).toBe(90_000);
    expect(durationSchema.parse(42)).toBe(42);
  });

  it.each<[unknown, string]>([
    ['3x', 'bad duration "3x" (use ms or "500ms", "90s", "20m", "29h", "00:01:30")'],
    [-5, 'bad duration -5 (must be >= 0)'],
    [true, 'bad duration true (use ms or "500ms", "90s", "20m", "29h", "00:01:30")'],
    ['00:75:00', 'bad duration "00:75:00" (minutes must be 0-59)'],
  ])('reports %p with the value in the message', (input, message) => {
    const r = durationSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual([message]);
  });

  it('positiveDurationSchema rejects 0', () => {
    expect(positiveDurationSchema.safeParse('0s').error?.issues[0]?.message).toBe('must be greater than 0');
    expect(positiveDurationSchema.parse('200ms')).toBe(200);
  });
});
