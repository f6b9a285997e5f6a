/**
 * The contract of every SipFailureLimiter, table-driven over an injected clock: the memory
 * limiter runs it in rate-limiter.test.ts, the Redis one in test/integration/state.
 */
import type { Test } from 'tap';
import type { RateLimiterOptions, SipFailureLimiter } from '../../../src/signalling/auth/rate-limiter';

type Row = [action: 'fail' | 'blocked' | 'ok', source: string, subject: string, nowMs: number, want: boolean, why: string];

/** Makes a fresh, empty limiter (torn down with `t`). */
export type SipLimiterFactory = (t: Test, o: RateLimiterOptions) => Promise<SipFailureLimiter>;

async function run(t: Test, l: SipFailureLimiter, rows: Row[]): Promise<void> {
  for (const [action, src, subj, now, want, why] of rows) {
    const label = `${action} ${src} ${subj} @${now}: ${why}`;
    if (action === 'fail') t.equal(await l.recordFailure(src, subj, now), want, label);
    else if (action === 'ok') { await l.recordSuccess(src, subj, now); t.equal(await l.isBlocked(src, subj, now), want, label); }
    else t.equal(await l.isBlocked(src, subj, now), want, label);
  }
}

export const base: RateLimiterOptions = { maxFailures: 3, windowMs: 1000, blockMs: 5000, maxKeysPerSource: 4, maxEntries: 100 };

export function sipLimiterContract(t: Test, name: string, make: SipLimiterFactory): void {
  t.test(`${name}: blocks a (source, user) after maxFailures within the window, for blockMs`, async (t) => {
    await run(t, await make(t, base), [
      ['fail', '10.0.0.1', 'x@a', 0, false, 'first'],
      ['fail', '10.0.0.1', 'x@a', 100, false, 'second'],
      ['blocked', '10.0.0.1', 'x@a', 150, false, 'under the limit'],
      ['fail', '10.0.0.1', 'x@a', 200, true, 'third blocks'],
      ['blocked', '10.0.0.1', 'x@a', 201, true, 'blocked'],
      ['blocked', '10.0.0.1', 'X@A', 201, true, 'user@realm compared without case'],
      ['blocked', '10.0.0.1', 'y@a', 201, false, 'another user from the same address is not'],
      ['blocked', '10.0.0.2', 'x@a', 201, false, 'the same user from another address is not'],
      ['ok', '10.0.0.1', 'x@a', 300, true, 'a success does not lift an active block'],
      ['blocked', '10.0.0.1', 'x@a', 5199, true, 'still blocked'],
      ['blocked', '10.0.0.1', 'x@a', 5200, false, 'block over'],
      // window restarts: two old failures + one new do not block
      ['fail', '10.0.0.3', 'x@a', 0, false, 'w1'],
      ['fail', '10.0.0.3', 'x@a', 500, false, 'w1'],
      ['fail', '10.0.0.3', 'x@a', 1500, false, 'new window'],
      ['blocked', '10.0.0.3', 'x@a', 1501, false, 'one failure in this window'],
    ]);
  });

  t.test(`${name}: a correct authentication clears the key it came from, only that key`, async (t) => {
    await run(t, await make(t, base), [
      ['fail', 'a', 'x@r', 0, false, '1'],
      ['fail', 'a', 'x@r', 1, false, '2'],
      ['fail', 'a', 'y@r', 1, false, 'y 1'],
      ['fail', 'a', 'y@r', 1, false, 'y 2'],
      ['ok', 'a', 'x@r', 2, false, 'x succeeds'],
      ['fail', 'a', 'x@r', 3, false, 'x count restarted'],
      ['fail', 'a', 'y@r', 3, true, 'y still at its count: third blocks'],
    ]);
  });

  t.test(`${name}: per-source bound: unblocked keys go first; a source full of blocked keys is refused for new users`, async (t) => {
    const o = { ...base, maxFailures: 1, maxKeysPerSource: 2 };
    await run(t, await make(t, o), [
      ['fail', 's', 'u1@r', 0, true, 'u1 blocked'],
      ['fail', 's', 'u2@r', 0, true, 'u2 blocked'],
      ['blocked', 's', 'u3@r', 1, true, 'every tracked user blocked and the source full: new users refused too'],
      ['fail', 's', 'u3@r', 1, true, 'a failure for a new user is not tracked but reported blocked'],
      ['blocked', 's', 'u1@r', 2, true, 'u1 cannot be unblocked by cycling users'],
      ['blocked', 't', 'u3@r', 2, false, 'other sources unaffected'],
      ['blocked', 's', 'u3@r', 5000, false, 'blocks over: the source is open again'],
      ['fail', 's', 'u3@r', 5000, true, 'u3 tracked now (an expired key made room)'],
      ['blocked', 's', 'u1@r', 5000, false, 'u1 made room for u3, so it is not blocked any more'],
    ]);
    // Five failures allowed; fifty users from one source, one failure each: the oldest unblocked
    // keys are evicted, so the last three users are the ones tracked.
    const m = await make(t, { ...base, maxFailures: 2, maxKeysPerSource: 3 });
    for (let i = 0; i < 50; i++) await m.recordFailure('s', `u${i}@r`, 0);
    t.equal(await m.recordFailure('s', 'u49@r', 1), true, 'the most recent user is still tracked (second failure blocks)');
    t.equal(await m.recordFailure('s', 'u0@r', 1), false, 'the oldest was evicted (its count restarted)');
  });
}
