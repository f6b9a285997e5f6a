/**
 * The contract of every NonceWindow (RFC 2617 3.2.2 nonce-count replay check): the memory
 * NonceCounter runs it in digest.test.ts, the Redis one in test/integration/state.
 */
import type { Test } from 'tap';
import type { NonceWindow } from '../../../src/signalling/auth/verifier';

export function nonceWindowContract(t: Test, name: string, make: (t: Test) => Promise<NonceWindow>): void {
  t.test(`${name}: nc must increase per nonce; nonces are independent`, async (t) => {
    const w = await make(t);
    t.ok(await w.accept('n1', 1), 'first use');
    t.notOk(await w.accept('n1', 1), 'same nc again is a replay');
    t.ok(await w.accept('n1', 2), 'higher nc');
    t.notOk(await w.accept('n1', 1), 'lower nc is a replay');
    t.ok(await w.accept('n1', 10), 'gaps are allowed (requests may be lost)');
    t.ok(await w.accept('n2', 1), 'another nonce has its own count');
    const parallel = await Promise.all([w.accept('n3', 5), w.accept('n3', 5), w.accept('n3', 5)]);
    t.equal(parallel.filter(Boolean).length, 1, 'one of three concurrent uses of one nc wins');
  });
}
