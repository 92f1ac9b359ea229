import { checkLabels, describeOptions } from './labels';

describe('check labels', () => {
  it('describes the options a scenario gave: strings as written, other values as JSON', () => {
    expect(describeOptions(undefined)).toBe('');
    expect(describeOptions({})).toBe('');
    expect(describeOptions({ phase: 'load', allowStatuses: [503], maxFailed: 2, tcpLevel: true })).toBe(
      'phase=load, allowStatuses=[503], maxFailed=2, tcpLevel=true',
    );
  });

  it('keeps the name of a checker used once, and tells repeated ones apart by their options', () => {
    expect(
      checkLabels([
        { name: 'connectionsSurvive', options: { allowAnnouncedClose: true } },
        { name: 'noFailedRequests', options: { phase: 'load' } },
        { name: 'noFailedRequests', options: { phase: 'recycle', maxFailed: 1 } },
      ]),
    ).toEqual(['connectionsSurvive', 'noFailedRequests[phase=load]', 'noFailedRequests[phase=recycle, maxFailed=1]']);
  });

  it('numbers repeated checks whose options are the same or absent', () => {
    expect(
      checkLabels([
        { name: 'noFailedRequests' },
        { name: 'eventsSeen', options: { type: 'IdleShutdown' } },
        { name: 'noFailedRequests', options: {} },
        { name: 'eventsSeen', options: { type: 'IdleShutdown' } },
        { name: 'eventsSeen', options: { type: 'PoolStopped' } },
      ]),
    ).toEqual([
      'noFailedRequests#1',
      'eventsSeen[type=IdleShutdown]#1',
      'noFailedRequests#2',
      'eventsSeen[type=IdleShutdown]#2',
      'eventsSeen[type=PoolStopped]',
    ]);
  });
});
