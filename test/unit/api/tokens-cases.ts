/**
 * One contract for every TokenStore: memory and SQLite run it in tokens.test.ts, Redis in
 * test/integration/state. The clock is injected; stores must judge expiry by it.
 */
import type { Test } from 'tap';
import type { TokenStore } from '../../../src/api/tokens';

/** A fresh, empty store (closed by the case). */
export type TokenFactory = (t: Test, ttlMs: number, now: () => number) => Promise<TokenStore>;

export function tokenStoreContract(t: Test, name: string, make: TokenFactory): void {
  t.test(`${name}: tokens expire at their ttl, by the injected clock`, async (t) => {
    let now = 1_000_000;
    const tokens = await make(t, 60_000, () => now);
    t.teardown(() => tokens.close());
    const { token, grant } = await tokens.issue('acc1');
    t.match(token, /^[0-9a-f]{64}$/);
    t.equal(grant.expiresAt, 1_060_000);
    t.same(await tokens.check(token), { accountId: 'acc1', expiresAt: 1_060_000 });
    now = 1_059_999;
    t.ok(await tokens.check(token), 'valid until the last millisecond');
    now = 1_060_000;
    t.equal(await tokens.check(token), undefined, 'expired at ttl');
    t.equal(await tokens.count(), 0, 'forgotten');
    t.equal(await tokens.check('nope'), undefined);
  });

  t.test(`${name}: expired grants are not counted; revoke forgets one token only`, async (t) => {
    let now = 0;
    const tokens = await make(t, 10, () => now);
    t.teardown(() => tokens.close());
    await tokens.issue('a');
    await tokens.issue('b');
    now = 10;
    const { token } = await tokens.issue('c');
    const other = (await tokens.issue('c')).token;
    t.equal(await tokens.count(), 2, 'the two expired ones are gone');
    t.not(token, other, 'every issue is a new token');
    await tokens.revoke(token);
    t.equal(await tokens.check(token), undefined);
    t.same(await tokens.check(other), { accountId: 'c', expiresAt: 20 }, 'the other token of the account stays');
  });
}
