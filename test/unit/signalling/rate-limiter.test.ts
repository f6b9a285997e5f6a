import t from 'tap';
import { FailedAuthLimiter } from '../../../src/signalling/auth/rate-limiter';

t.test('blocks after maxFailures within the window, for blockMs', async (t) => {
  const l = new FailedAuthLimiter({ maxFailures: 3, windowMs: 1000, blockMs: 5000, maxSources: 100 });
  // [action, source, time, expected]
  const rows: ['fail' | 'blocked' | 'ok', string, number, boolean][] = [
    ['fail', '10.0.0.1', 0, false],
    ['fail', '10.0.0.1', 100, false],
    ['blocked', '10.0.0.1', 150, false],
    ['fail', '10.0.0.1', 200, true],
    ['blocked', '10.0.0.1', 201, true],
    ['blocked', '10.0.0.2', 201, false],
    ['ok', '10.0.0.1', 300, true],
    ['blocked', '10.0.0.1', 5199, true],
    ['blocked', '10.0.0.1', 5200, false],
    // window restarts: two old failures + one new do not block
    ['fail', '10.0.0.3', 0, false],
    ['fail', '10.0.0.3', 500, false],
    ['fail', '10.0.0.3', 1500, false],
    ['blocked', '10.0.0.3', 1501, false],
  ];
  for (const [action, src, now, want] of rows) {
    if (action === 'fail') t.equal(l.recordFailure(src, now), want, `fail ${src}@${now}`);
    else if (action === 'ok') { l.recordSuccess(src, now); t.equal(l.isBlocked(src, now), want, `success keeps block ${src}@${now}`); }
    else t.equal(l.isBlocked(src, now), want, `blocked? ${src}@${now}`);
  }
});

t.test('success clears failures when not blocked', async (t) => {
  const l = new FailedAuthLimiter({ maxFailures: 2, windowMs: 1000, blockMs: 1000, maxSources: 10 });
  l.recordFailure('a', 0);
  l.recordSuccess('a', 1);
  t.equal(l.recordFailure('a', 2), false, 'count restarted');
  t.equal(l.recordFailure('a', 3), true);
});

t.test('memory is bounded', async (t) => {
  const l = new FailedAuthLimiter({ maxFailures: 1, windowMs: 1000, blockMs: 1000, maxSources: 16 });
  for (let i = 0; i < 1000; i++) l.recordFailure(`10.0.${i >> 8}.${i & 255}`, 0);
  t.equal(l.size, 16);
  t.ok(l.isBlocked('10.0.3.231', 1), 'most recent kept');
  t.notOk(l.isBlocked('10.0.0.0', 1), 'oldest evicted');
});
