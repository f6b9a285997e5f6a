/**
 * The BindingStore contract (binding-store-cases.ts) against the memory store and the SQLite
 * store (a real file in a temporary directory). SQLite alone is also reopened, which is
 * what a service restart does.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBindingStore } from '../../../src/signalling/registrar/binding-store';
import { SqliteBindingStore } from '../../../src/signalling/registrar/sqlite-binding-store';
import { aors, bindingStoreContract, mk, type Factory } from './binding-store-cases';

function sqliteFactory(t: Test): Factory {
  const dir = mkdtempSync(join(tmpdir(), 'bindings-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return async (onExpired) => new SqliteBindingStore({ path: join(dir, 'b.sqlite'), sweepMs: 0, onExpired });
}

const IMPLEMENTATIONS: [string, (t: Test) => Factory][] = [
  ['memory', () => async (onExpired) => new MemoryBindingStore(0, Date.now, onExpired)],
  ['sqlite', sqliteFactory],
];

for (const [name, factoryOf] of IMPLEMENTATIONS) bindingStoreContract(t, name, factoryOf);

t.test('sqlite: bindings survive a reopen of the file (a service restart), expiry still honoured', async (t) => {
  const factory = sqliteFactory(t);
  const first = await factory(() => undefined);
  await first.update('a@r', 0, () => ({ bindings: [mk('a@r', 'A', 'd1', 5000)], result: null }));
  await first.update('b@r', 0, () => ({ bindings: [mk('b@r', 'A', 'd2', 500)], result: null }));
  await first.close();
  const reopened = await factory(() => undefined);
  t.teardown(() => reopened.close());
  t.same(aors(await reopened.listByAccount('A', 100)), ['a@r', 'b@r'], 'both bindings back after the reopen');
  t.same(aors(await reopened.listByAccount('A', 1000)), ['a@r'], 'the one past its expiry is not');
  t.equal(reopened.sweep(1000), 1, 'and is swept');
});
