import { classifyStatus, classifyTransportError, errorKindOf } from './outcome';

describe('classifyStatus', () => {
  it.each([
    [200, 'ok', undefined],
    [204, 'ok', undefined],
    [304, 'ok', undefined],
    [404, 'fail', 'status-4xx'],
    [429, 'fail', 'status-4xx'],
    [500, 'fail', 'status-5xx'],
    [503, 'fail', 'status-5xx'],
  ])('%i → %s %s', (status, outcome, error) => {
    expect(classifyStatus(status)).toEqual(error === undefined ? { outcome } : { outcome, error });
  });

  it('lets okStatuses (list or predicate) accept expected 4xx/5xx', () => {
    expect(classifyStatus(404, [404])).toEqual({ outcome: 'ok' });
    expect(classifyStatus(503, (s) => s === 503)).toEqual({ outcome: 'ok' });
    expect(classifyStatus(500, [404])).toEqual({ outcome: 'fail', error: 'status-5xx' });
  });
});

describe('classifyTransportError', () => {
  it('is info once the request was written and fail before', () => {
    expect(classifyTransportError('closed', true)).toEqual({ outcome: 'info', error: 'closed' });
    expect(classifyTransportError('timeout', true)).toEqual({ outcome: 'info', error: 'timeout' });
    expect(classifyTransportError('refused', false)).toEqual({ outcome: 'fail', error: 'refused' });
  });
});

describe('errorKindOf', () => {
  it('maps socket error codes', () => {
    expect(errorKindOf('ECONNRESET')).toBe('reset');
    expect(errorKindOf('EPIPE')).toBe('reset');
    expect(errorKindOf('ECONNREFUSED')).toBe('refused');
    expect(errorKindOf('EHOSTUNREACH')).toBe('other');
    expect(errorKindOf(undefined)).toBe('other');
  });
});
