// Unit tests of the target registry: known names, and the error for an unknown one.
import { getTarget, targetNames } from './registry';
import { isTargetError } from './errors';

describe('target registry', () => {
  it('knows w3, node-cluster and the peers', () => {
    expect(targetNames()).toEqual(['w3', 'node-cluster', 'pm2', 'nginx', 'haproxy', 'gunicorn']);
    expect(getTarget('w3').name).toBe('w3');
    expect(getTarget('node-cluster').name).toBe('node-cluster');
    expect(getTarget('w3')).not.toBe(getTarget('w3'));
  });

  it('names the known targets when asked for an unknown one', () => {
    let err: unknown;
    try {
      getTarget('toString');
    } catch (e) {
      err = e;
    }
    expect(isTargetError(err, 'LAB_ERR_UNKNOWN_TARGET')).toBe(true);
    expect((err as Error).message).toBe(
      'unknown target "toString"; known targets: w3, node-cluster, pm2, nginx, haproxy, gunicorn',
    );
  });
});
