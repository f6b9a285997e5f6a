/**
 * The TokenStore contract (tokens-cases.ts) against the memory store and the SQLite store (a
 * real file in a temporary directory); SQLite alone is also reopened (a restart).
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTokenStore } from '../../../src/api/tokens';
import { SqliteTokenStore } from '../../../src/api/sqlite-tokens';
import { tokenStoreContract } from './tokens-cases';

function sqliteFile(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokens-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 't.sqlite');
}

tokenStoreContract(t, 'memory', async (_t, ttlMs, now) => new MemoryTokenStore(ttlMs, now));
tokenStoreContract(t, 'sqlite', async (t, ttlMs, now) => new SqliteTokenStore(sqliteFile(t), ttlMs, now));

t.test('sqlite: a token survives a reopen (a restart), its expiry too; only its hash is stored', async (t) => {
  let now = 0;
  const file = sqliteFile(t);
  const first = new SqliteTokenStore(file, 1000, () => now);
  const { token } = await first.issue('acc1');
  await first.close();
  const reopened = new SqliteTokenStore(file, 1000, () => now);
  t.teardown(() => reopened.close());
  t.same(await reopened.check(token), { accountId: 'acc1', expiresAt: 1000 }, 'valid after the reopen');
  const bytes = Buffer.concat([file, `${file}-wal`].map((f) => { try { return readFileSync(f); } catch { return Buffer.alloc(0); } }));
  t.notOk(bytes.includes(Buffer.from(token)), 'the token itself is not on disk');
  now = 1000;
  t.equal(await reopened.check(token), undefined, 'and expires as issued');
});
