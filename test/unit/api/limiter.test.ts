import t from 'tap';
import { FailureLimiter } from '../../../src/api/limiter';

t.test('blocks a key after maxFailures inside the window, per key, until the window passes', (t) => {
  let now = 0;
  const l = new FailureLimiter(3, 1000, () => now);
  const steps: Array<[number, 'fail' | 'succeed' | null, string, boolean]> = [
    [0, 'fail', 'a', false],
    [100, 'fail', 'a', false],
    [200, 'fail', 'a', true],
    [200, null, 'b', false],
    [999, null, 'a', true],
    [1000, null, 'a', false],
    [1100, 'fail', 'a', false],
    [1150, 'fail', 'a', true],
    [1160, 'succeed', 'a', false],
    [1170, 'fail', 'a', false],
  ];
  for (const [at, action, key, blocked] of steps) {
    now = at;
    if (action === 'fail') l.fail(key);
    if (action === 'succeed') l.succeed(key);
    t.equal(l.blocked(key), blocked, `t=${at} ${action ?? 'check'} ${key} -> ${blocked ? 'blocked' : 'open'}`);
  }
  t.end();
});

t.test('the number of tracked keys is bounded', (t) => {
  const l = new FailureLimiter(1, 1000, () => 0, 2);
  l.fail('k1');
  l.fail('k2');
  l.fail('k3');
  t.equal(l.blocked('k1'), false, 'oldest key evicted');
  t.equal(l.blocked('k2'), true);
  t.equal(l.blocked('k3'), true);
  t.end();
});
