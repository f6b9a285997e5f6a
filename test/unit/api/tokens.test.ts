import t from 'tap';
import { TokenStore } from '../../../src/api/tokens';

t.test('tokens expire at their ttl, by the injected clock', (t) => {
  let now = 1_000_000;
  const tokens = new TokenStore(60_000, () => now);
  const { token, grant } = tokens.issue('acc1');
  t.match(token, /^[0-9a-f]{64}$/);
  t.equal(grant.expiresAt, 1_060_000);
  t.same(tokens.check(token), { accountId: 'acc1', expiresAt: 1_060_000 });
  now = 1_059_999;
  t.ok(tokens.check(token), 'valid until the last millisecond');
  now = 1_060_000;
  t.equal(tokens.check(token), undefined, 'expired at ttl');
  t.equal(tokens.size, 0, 'forgotten');
  t.equal(tokens.check('nope'), undefined);
  t.end();
});

t.test('issuing sweeps expired grants; revoke forgets', (t) => {
  let now = 0;
  const tokens = new TokenStore(10, () => now);
  tokens.issue('a');
  tokens.issue('b');
  now = 10;
  const { token } = tokens.issue('c');
  t.equal(tokens.size, 1, 'the two expired ones were swept');
  tokens.revoke(token);
  t.equal(tokens.check(token), undefined);
  t.end();
});
