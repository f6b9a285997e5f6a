/**
 * One contract for every TokenStore: the same cases against the memory store and the SQLite
 * store (a real file in a temporary directory); SQLite alone is also reopened (a restart).
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTokenStore, type TokenStore } from '../../../src/api/tokens';
import { SqliteTokenStore } from '../../../src/api/sqlite-tokens';

type Factory = (ttlMs: number, now: () => number) => TokenStore;

function sqliteFactory(t: Test): { factory: Factory; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tokens-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 't.sqlite');
  return { factory: (ttlMs, now) => new SqliteTokenStore(file, ttlMs, now), file };
}

const IMPLEMENTATIONS: [string, (t: Test) => Factory][] = [
  ['memory', () => (ttlMs, now) => new MemoryTokenStore(ttlMs, now)],
  ['sqlite', (t) => sqliteFactory(t).factory],
];

for (const [name, factoryOf] of IMPLEMENTATIONS) {
  t.test(`${name}: tokens expire at their ttl, by the injected clock`, (t) => {
    let now = 1_000_000;
    const tokens = factoryOf(t)(60_000, () => now);
    t.teardown(() => tokens.close());
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

  t.test(`${name}: issuing sweeps expired grants; revoke forgets one token only`, (t) => {
    let now = 0;
    const tokens = factoryOf(t)(10, () => now);
    t.teardown(() => tokens.close());
    tokens.issue('a');
    tokens.issue('b');
    now = 10;
    const { token } = tokens.issue('c');
    const other = tokens.issue('c').token;
    t.equal(tokens.size, 2, 'the two expired ones were swept');
    t.not(token, other, 'every issue is a new token');
    tokens.revoke(token);
    t.equal(tokens.check(token), undefined);
    t.same(tokens.check(other), { accountId: 'c', expiresAt: 20 }, 'the other token of the account stays');
    t.end();
  });
}

t.test('sqlite: a token survives a reopen (a restart), its expiry too; only its hash is stored', async (t) => {
  let now = 0;
  const { factory, file } = sqliteFactory(t);
  const first = factory(1000, () => now);
  const { token } = first.issue('acc1');
  first.close();
  const reopened = factory(1000, () => now);
  t.teardown(() => reopened.close());
  t.same(reopened.check(token), { accountId: 'acc1', expiresAt: 1000 }, 'valid after the reopen');
  const bytes = Buffer.concat([file, `${file}-wal`].map((f) => { try { return readFileSync(f); } catch { return Buffer.alloc(0); } }));
  t.notOk(bytes.includes(Buffer.from(token)), 'the token itself is not on disk');
  now = 1000;
  t.equal(reopened.check(token), undefined, 'and expires as issued');
});
