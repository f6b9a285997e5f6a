/**
 * The contract of every AuthFailureLimiter (PUT /v2/api_auth), over an injected clock: the
 * memory limiter runs it in limiter.test.ts, the Redis one in test/integration/state.
 */
import type { Test } from 'tap';
import type { AuthFailureLimiter } from '../../../src/api/limiter';

/** A fresh, empty limiter allowing `max` failures per `windowMs`, reading the clock `now`. */
export type ApiLimiterFactory = (t: Test, max: number, windowMs: number, now: () => number) => Promise<AuthFailureLimiter>;

export function apiLimiterContract(t: Test, name: string, make: ApiLimiterFactory): void {
  t.test(`${name}: blocks a key after maxFailures inside the window, per key, until the window passes`, async (t) => {
    let now = 0;
    const l = await make(t, 3, 1000, () => now);
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
      if (action === 'fail') await l.fail(key);
      if (action === 'succeed') await l.succeed(key);
      t.equal(await l.blocked(key), blocked, `t=${at} ${action ?? 'check'} ${key} -> ${blocked ? 'blocked' : 'open'}`);
    }
  });
}
