import type { Test } from 'tap';
import { ConflictError, InvalidDocumentError, NotFoundError, type DocumentStore } from '../../../src/store';

/** Where a store keeps its documents; `open` may be called again on it (a restart). */
export interface Backing {
  open(now?: () => number): Promise<DocumentStore>;
}

/** A store driver under test: gives a new, empty backing per test. */
export interface ContractDriver {
  name: string;
  backing(t: Test): Promise<Backing>;
}

/**
 * The DocumentStore contract: the same assertions, unchanged, for every driver (SQLite,
 * PostgreSQL). A driver-specific behaviour belongs in that driver's own test file, not here.
 */
export function storeContract(top: Test, driver: ContractDriver): void {
  const fresh = async (t: Test, now?: () => number): Promise<DocumentStore> => {
    const store = await (await driver.backing(t)).open(now);
    t.teardown(() => store.close());
    return store;
  };

  top.test('create / read / replace / merge / delete with revisions', async (t) => {
    let clock = 1_700_000_000_000;
    const store = await fresh(t, () => clock);
    const master = await store.createAccount(null, { name: 'master', realm: 'master.example.com' });
    t.match(master._id, /^[0-9a-f]{32}$/, 'Kazoo-style 32 hex id');
    t.match(master._rev, /^1-[0-9a-f]{32}$/, 'first revision is 1-<md5>');
    t.same(master.pvt_tree, []);
    t.equal(master.pvt_account_id, master._id, 'an account belongs to itself');
    t.equal(master.pvt_type, 'account');
    t.equal(master.pvt_created, 1_700_000_000);

    const user = await store.create('users', master._id, { first_name: 'Ann', last_name: 'Lee', _rev: 'x', pvt_type: 'evil' });
    t.equal(user.pvt_type, 'user', 'managed pvt_ fields cannot be set by the caller');
    t.match(user._rev, /^1-/);
    t.same(await store.read('users', user._id), user, 'read returns what create returned');

    clock += 5000;
    const replaced = await store.replace('users', user._id, { first_name: 'Anne', last_name: 'Lee' }, { rev: user._rev });
    t.match(replaced._rev, /^2-/);
    t.equal(replaced['first_name'], 'Anne');
    t.equal(replaced.pvt_created, 1_700_000_000, 'created kept');
    t.equal(replaced.pvt_modified, 1_700_000_005, 'modified moves');

    await t.rejects(store.replace('users', user._id, { first_name: 'X' }, { rev: user._rev }), ConflictError, 'stale revision');
    t.equal((await store.read('users', user._id))['first_name'], 'Anne', 'conflicting write changed nothing');

    const merged = await store.merge('users', user._id, {
      call_recording: { inbound: { offnet: { enabled: true } } },
      last_name: null,
    });
    t.match(merged._rev, /^3-/);
    t.same(merged['call_recording'], { inbound: { offnet: { enabled: true } } });
    t.notOk('last_name' in merged, 'null removes a key (RFC 7396)');
    const merged2 = await store.merge('users', user._id, { call_recording: { outbound: { offnet: { enabled: false } } } });
    t.same(merged2['call_recording'], { inbound: { offnet: { enabled: true } }, outbound: { offnet: { enabled: false } } }, 'deep merge');

    const soft = await store.delete('users', user._id);
    t.equal(soft.pvt_deleted, true);
    await t.rejects(store.read('users', user._id), NotFoundError, 'soft-deleted reads as absent');
    t.equal((await store.read('users', user._id, { includeDeleted: true }))._id, user._id, 'but is kept');
    t.same(await store.list('users', master._id), [], 'and left out of lists');
    await t.rejects(store.merge('users', user._id, { a: 1 }), NotFoundError, 'no writes to a deleted document');

    const dev = await store.create('devices', master._id, { name: 'd' });
    await t.rejects(store.delete('devices', dev._id, { hard: true, rev: '9-abc' }), ConflictError);
    await store.delete('devices', dev._id, { hard: true, rev: dev._rev });
    await t.rejects(store.read('devices', dev._id, { includeDeleted: true }), NotFoundError, 'hard delete removes');

    await t.rejects(store.create('devices', master._id, { name: 'x' }, { id: master._id }).then(() => store.create('devices', master._id, { name: 'y' }, { id: master._id })), ConflictError, 'duplicate id');
    await t.rejects(store.read('callflows', 'nope'), NotFoundError);
    await t.rejects(store.create('users', master._id, [] as never), InvalidDocumentError);
    await t.rejects(store.findBy('users', "a') OR 1=1 --", 'x'), InvalidDocumentError, 'field paths are checked');
  });

  top.test('same content gives the same revision hash; different content a different one', async (t) => {
    const store = await fresh(t, () => 0);
    const a = await store.createAccount(null, { name: 'a' });
    const u1 = await store.create('users', a._id, { first_name: 'x', b: 1 }, { id: 'u1' });
    const u2 = await store.create('users', a._id, { b: 1, first_name: 'x' }, { id: 'u2' });
    const u3 = await store.create('users', a._id, { b: 2, first_name: 'x' }, { id: 'u3' });
    t.equal(u1._rev, u2._rev, 'key order does not matter');
    t.not(u1._rev, u3._rev);
  });

  top.test('account tree, children, descendants, cascade delete', async (t) => {
    const store = await fresh(t);
    const root = await store.createAccount(null, { name: 'root', realm: 'root.example.com' });
    const a = await store.createAccount(root._id, { name: 'a', realm: 'a.example.com' });
    const b = await store.createAccount(root._id, { name: 'b', realm: 'b.example.com' });
    const a1 = await store.createAccount(a._id, { name: 'a1', realm: 'a1.example.com' });
    t.same(a1.pvt_tree, [root._id, a._id], 'ancestors root first');
    t.same((await store.listChildren(root._id)).map((x) => x['name']), ['a', 'b']);
    t.same((await store.listDescendants(root._id)).map((x) => x['name']), ['a', 'b', 'a1']);
    t.same((await store.listDescendants(a._id)).map((x) => x['name']), ['a1']);

    const table: Array<[string, string, boolean]> = [
      [root._id, a1._id, true],
      [a._id, a1._id, true],
      [a._id, a._id, true],
      [b._id, a1._id, false],
      [a1._id, a._id, false],
      [a._id, root._id, false],
      [a._id, 'missing', false],
    ];
    for (const [anc, acc, want] of table) t.equal(await store.isSameOrDescendant(anc, acc), want, `${anc} above ${acc}`);

    await t.rejects(store.createAccount('missing', { name: 'x' }), NotFoundError, 'parent must exist');
    await t.rejects(store.createAccount(root._id, { name: 'dup', realm: 'A.example.com' }), ConflictError, 'a live realm is unique');
    await t.rejects(store.merge('accounts', b._id, { realm: 'a.EXAMPLE.com' }), ConflictError, 'also on update');
    t.equal((await store.readAccount(b._id))['realm'], 'b.example.com', 'refused update wrote nothing');

    const u = await store.create('users', a1._id, { first_name: 'u' });
    await store.deleteAccount(a1._id);
    await t.rejects(store.read('users', u._id), NotFoundError, 'owned documents deleted with the account');
    t.same((await store.listDescendants(root._id)).map((x) => x['name']), ['a', 'b']);
    t.equal(await store.isSameOrDescendant(a._id, a1._id), true, 'a deleted account still answers by its tree');
    const again = await store.createAccount(a._id, { name: 'a1 again', realm: 'a1.example.com' });
    t.equal(again['realm'], 'a1.example.com', "a deleted account's realm can be reused");
  });

  top.test('query helpers for registrar, trunks and callflows', async (t) => {
    const store = await fresh(t);
    const acc = await store.createAccount(null, { name: 'acc', realm: 'Sip.Example.COM' });
    const other = await store.createAccount(acc._id, { name: 'other', realm: 'other.example.com' });
    t.equal((await store.findAccountByRealm('sip.example.com'))?._id, acc._id, 'realm is case-insensitive');
    t.equal(await store.findAccountByRealm('nope.example.com'), undefined);

    const d1 = await store.create('devices', acc._id, { name: 'd1', sip: { username: '1001', password: 'secret1' } });
    const d2 = await store.create('devices', other._id, { name: 'd2', sip: { username: '1001', password: 'secret2' } });
    const d3 = await store.create('devices', other._id, { name: 'd3', sip: { username: '2002', password: 'x', realm: 'own.example.net' } });
    t.equal((await store.findDeviceBySipCredentials('1001', 'sip.example.com'))?.device._id, d1._id);
    t.equal((await store.findDeviceBySipCredentials('1001', 'other.example.com'))?.device._id, d2._id, 'same username, other realm');
    const own = await store.findDeviceBySipCredentials('2002', 'own.example.net');
    t.equal(own?.device._id, d3._id, "device's own realm");
    t.equal(own?.account._id, other._id, 'bound to its account');
    t.equal(await store.findDeviceBySipCredentials('2002', 'other.example.com'), undefined, 'own realm overrides the account one');
    t.equal(await store.findDeviceBySipCredentials('1002', 'sip.example.com'), undefined);

    const cf = await store.create('callflows', acc._id, { numbers: ['1001', '+15551234'], flow: { module: 'device', data: { id: d1._id } } });
    await store.create('callflows', acc._id, { numbers: [], patterns: ['^\\+1(\\d{10})$'], flow: { module: 'resources', data: {} } });
    t.equal((await store.findCallflowByNumber(acc._id, '+15551234'))?._id, cf._id);
    t.equal(await store.findCallflowByNumber(other._id, '1001'), undefined, 'numbers are per account');
    t.equal((await store.findCallflowByNumberAnyAccount('+15551234'))?._id, cf._id, 'DID found across accounts');
    t.equal(await store.findCallflowByNumberAnyAccount('+15559999'), undefined);
    t.same((await store.listPatternCallflows(acc._id)).map((c) => c['patterns']), [['^\\+1(\\d{10})$']]);

    const trunk = await store.create('resources', acc._id, {
      name: 'carrier',
      gateways: [{ server: '192.0.2.10', port: 5060 }, { server: 'sip.carrier.example' }],
      inbound_ips: ['198.51.100.7'],
    });
    t.same((await store.findResourcesByAddress('192.0.2.10')).map((r) => r._id), [trunk._id]);
    t.same((await store.findResourcesByAddress('198.51.100.7')).map((r) => r._id), [trunk._id]);
    t.same(await store.findResourcesByAddress('203.0.113.1'), []);
    t.equal((await store.listAllResources()).length, 1);

    t.same((await store.findBy('devices', 'sip.username', '1001')).map((d) => d._id), [d1._id, d2._id]);
    t.same((await store.findBy('devices', 'sip.username', '1001', other._id)).map((d) => d._id), [d2._id]);

    const key = 'k'.repeat(64);
    await store.merge('accounts', acc._id, { pvt_api_key: key, pvt_superduper_admin: true });
    t.equal((await store.findAccountByApiKey(key))?._id, acc._id);
    t.same((await store.findBy('accounts', 'pvt_superduper_admin', true)).map((a) => a._id), [acc._id], 'boolean match');
  });

  top.test('two writers with the same revision: one wins, the other conflicts', async (t) => {
    const store = await fresh(t);
    const acc = await store.createAccount(null, { name: 'race', realm: 'race.example.com' });
    const u = await store.create('users', acc._id, { n: 0 });
    const results = await Promise.allSettled([1, 2, 3].map((n) => store.merge('users', u._id, { n }, { rev: u._rev })));
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one write succeeds');
    t.ok(results.filter((r) => r.status === 'rejected').every((r) => r.reason instanceof ConflictError), 'the others conflict');
    t.match((await store.read('users', u._id))._rev, /^2-/, 'one revision added');
    const realms = await Promise.allSettled([1, 2].map((n) => store.createAccount(acc._id, { name: `r${n}`, realm: 'same.example.com' })));
    t.equal(realms.filter((r) => r.status === 'fulfilled').length, 1, 'one of two accounts with the same realm is created');
    t.ok(realms.some((r) => r.status === 'rejected' && r.reason instanceof ConflictError));
  });

  top.test('persists across reopen', async (t) => {
    const backing = await driver.backing(t);
    const s1 = await backing.open();
    const acc = await s1.createAccount(null, { name: 'p', realm: 'p.example.com' });
    const u = await s1.create('users', acc._id, { first_name: 'kept', nested: { a: [1, 2.5, 'x', null, true] } });
    await s1.close();
    await s1.close(); // idempotent
    const s2 = await backing.open();
    t.teardown(() => s2.close());
    t.same(await s2.read('users', u._id), u, 'document kept as written');
    t.same(await s2.readAccount(acc._id), acc);
    const next = await s2.merge('users', u._id, { first_name: 'again' }, { rev: u._rev });
    t.match(next._rev, /^2-/, 'revisions continue');
  });
}
