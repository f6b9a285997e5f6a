import t from 'tap';
import { FailedAuthLimiter } from '../../../src/signalling/auth/rate-limiter';
import { base, sipLimiterContract } from './rate-limiter-cases';

sipLimiterContract(t, 'memory', async (_t, o) => new FailedAuthLimiter(o));

t.test('memory: never more than maxKeysPerSource for one source', async (t) => {
  const m = new FailedAuthLimiter({ ...base, maxFailures: 5, maxKeysPerSource: 3 });
  for (let i = 0; i < 50; i++) await m.recordFailure('s', `u${i}@r`, 0);
  t.equal(m.sizeOf('s'), 3, 'unblocked keys are evicted oldest first');
});

t.test('memory: total bound across sources', async (t) => {
  const l = new FailedAuthLimiter({ maxFailures: 1, windowMs: 1000, blockMs: 1000, maxKeysPerSource: 4, maxEntries: 16 });
  for (let i = 0; i < 1000; i++) await l.recordFailure(`10.0.${i >> 8}.${i & 255}`, 'x@r', 0);
  t.equal(l.size, 16);
  t.ok(await l.isBlocked('10.0.3.231', 'x@r', 1), 'most recent kept');
  t.notOk(await l.isBlocked('10.0.0.0', 'x@r', 1), 'oldest evicted');
  for (let i = 0; i < 100; i++) await l.recordFailure('10.9.9.9', `u${i}@r`, 0);
  t.equal(l.size, 16, 'one source with many users stays within the total');
  t.ok(l.sizeOf('10.9.9.9') <= 4, 'and within its own bound');
});
