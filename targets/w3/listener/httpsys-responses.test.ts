import { PAGES, pageBody, type Page } from './httpsys-responses';

describe('HTTP.SYS error pages', () => {
  // Body lengths of captured HTTP.SYS responses (344: Length Required, 339, 346, 326) and of the template.
  it.each([
    ['serviceUnavailable', 326],
    ['invalidHeader', 339],
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

it('the template reproduces a captured page w3 does not send (411 Length Required, 344 bytes)', () => {
  const lengthRequired: Page = {
    status: 411,
    reason: 'Length Required',
    title: 'Length Required',
    h2: 'Length Required',
    msg: 'The request must be chunked or have a content length.',
  };
  expect(Buffer.byteLength(pageBody(lengthRequired), 'ascii')).toBe(344);
});
