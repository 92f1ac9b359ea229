import { PAGES, pageBody } from './httpsys-responses';

describe('HTTP.SYS error pages', () => {
  // Body lengths that IIS-SPEC §4.2 records from captured HTTP.SYS responses.
  it.each([
    ['serviceUnavailable', 326],
    ['invalidHeader', 339],
    ['lengthRequired', 344],
    ['requestTooLong', 346],
    ['invalidVerb', 326],
    ['badRequest', 311],
    ['invalidUrl', 324],
    ['urlTooLong', 329],
    ['notFound', 315],
    ['headerFieldTooLong', 342],
    ['invalidHostname', 334],
  ] as const)('%s body is %d bytes', (name, len) => {
    expect(Buffer.byteLength(pageBody(PAGES[name]), 'ascii')).toBe(len);
  });
});
