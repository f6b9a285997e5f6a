import t from 'tap';
import { FailureLimiter } from '../../../src/api/limiter';
import { apiLimiterContract } from './limiter-cases';

apiLimiterContract(t, 'memory', async (_t, max, windowMs, now) => new FailureLimiter(max, windowMs, now));

t.test('memory: the number of tracked keys is bounded', async (t) => {
  const l = new FailureLimiter(1, 1000, () => 0, 2);
  await l.fail('k1');
  await l.fail('k2');
  await l.fail('k3');
  t.equal(await l.blocked('k1'), false, 'oldest key evicted');
  t.equal(await l.blocked('k2'), true);
  t.equal(await l.blocked('k3'), true);
});
