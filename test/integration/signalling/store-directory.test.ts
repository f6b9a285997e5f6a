/** The production Directory over the real SQLite document store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteDocumentStore } from '../../../src/store';
import { StoreDirectory } from '../../../src/directory/store-directory';
import { lookupCallflow, MatchKind } from '../../../src/calls/callflow';
import { CallerKind } from '../../../src/signalling';
import { freePort } from '../../helpers/ports';
import { runSipp } from '../../helpers/sipp';
import { csv, startRig } from './setup';

t.test('StoreDirectory answers every look-up from SQLite documents', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'storedir-'));
  const store = new SqliteDocumentStore({ path: join(dir, 'docs.sqlite') });
  t.teardown(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });

  const master = await store.createAccount(null, { name: 'Master', realm: 'master.test' });
  const a = await store.createAccount(master._id, { name: 'A', realm: 'a.test', call_recording: { any: { onnet: { enabled: true } } } });
  const b = await store.createAccount(master._id, { name: 'B', realm: 'b.test' });
  const user = await store.create('users', a._id, { first_name: 'Ann', last_name: 'Lee' });
  const dev = await store.create('devices', a._id, { name: 'desk', owner_id: user._id, sip: { username: '1001', password: 'pw' } });
  await store.create('devices', a._id, { name: 'no creds' });
  const own = await store.create('devices', b._id, { sip: { username: '1001', password: 'pw2', realm: 'custom.test' } });
  const res = await store.create('resources', b._id, {
    name: 'carrier', rules: ['^\\+1\\d{10}$'], inbound_ips: ['203.0.113.9'],
    gateways: [{ server: '198.51.100.1', port: 5080, transport: 'TCP', username: 'u', password: 'p', register: true }, { nope: 1 }],
  });
  await store.create('resources', b._id, { name: 'disabled', enabled: false, rules: [], gateways: [{ server: '198.51.100.1' }] });
  const cf1 = await store.create('callflows', a._id, { numbers: ['1001'], flow: { module: 'device', data: { id: dev._id }, children: { _: { module: 'record_call', data: { action: 'start' } } } } });
  const cf2 = await store.create('callflows', a._id, { patterns: ['^\\+1(\\d{10})$'], flow: { module: 'resources', data: {} } });
  const did = await store.create('callflows', b._id, { numbers: ['+15550100'], flow: { module: 'device', data: { id: own._id } } });

  const d = new StoreDirectory(store);
  t.match(await d.accountByRealm('A.TEST'), { id: a._id, realm: 'a.test', name: 'A', call_recording: { any: { onnet: { enabled: true } } } });
  t.equal(await d.accountByRealm('none.test'), undefined);
  t.match(await d.accountById(b._id), { id: b._id, realm: 'b.test' });
  t.equal(await d.accountById('missing'), undefined);

  const m = await d.deviceBySipCredentials('1001', 'a.test');
  t.same([m?.account.id, m?.device.id, m?.device.owner_id, m?.device.sip], [a._id, dev._id, user._id, { username: '1001', password: 'pw' }]);
  t.same((await d.deviceBySipCredentials('1001', 'custom.test'))?.device.id, own._id, 'device with its own realm');
  t.equal(await d.deviceBySipCredentials('1001', 'b.test'), undefined);
  t.same(await d.userById(user._id), { id: user._id, account_id: a._id, first_name: 'Ann', last_name: 'Lee' });
  t.equal(await d.userById('missing'), undefined);
  t.same((await d.devicesByOwner(user._id)).map((x) => x.id), [dev._id]);
  t.equal((await d.deviceById(dev._id))?.sip.username, '1001');

  const trunks = await d.resourcesByAddress('203.0.113.9');
  t.same(trunks.map((r) => r.id), [res._id], 'by inbound ip');
  t.same((await d.resourcesByAddress('198.51.100.1')).map((r) => r.id), [res._id], 'by gateway server, disabled left out');
  t.same(trunks[0].gateways, [{ server: '198.51.100.1', port: 5080, transport: 'tcp', username: 'u', password: 'p', register: true }], 'bad gateway dropped');
  t.same((await d.allResources()).map((r) => r.id), [res._id]);
  t.same((await d.resourcesOfAccount(a._id)), []);

  t.same((await d.callflowByNumber(a._id, '1001'))?.flow, { module: 'device', data: { id: dev._id }, children: { _: { module: 'record_call', data: { action: 'start' } } } });
  t.same((await d.patternCallflows(a._id)).map((c) => c.id), [cf2._id]);
  t.equal((await d.callflowByNumberAnyAccount('+15550100'))?.id, did._id);
  const viaPattern = await lookupCallflow(d, a._id, '+14155550100');
  t.same([viaPattern?.callflow.id, viaPattern?.kind, viaPattern?.captureGroup], [cf2._id, MatchKind.Pattern, '4155550100']);
  t.equal((await lookupCallflow(d, a._id, '1001'))?.callflow.id, cf1._id);
});

t.test('production path: SIPp registers and calls against accounts and devices in SQLite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'storedir-'));
  const store = new SqliteDocumentStore({ path: join(dir, 'docs.sqlite') });
  const acc = await store.createAccount(null, { name: 'S', realm: 's.test' });
  const dev = await store.create('devices', acc._id, { sip: { username: '3001', password: 'pw3001' } });
  const rig = await startRig({}, new StoreDirectory(store));
  t.teardown(async () => { await rig.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); });
  const csvPath = csv(dir, 'u.csv', [['3001', 's.test', 'pw3001', '120']]);
  const run = async (scenario: string, password: string) => runSipp({
    scenario, remote: `127.0.0.1:${rig.sipPort}`, localPort: await freePort(),
    args: ['-m', '1', '-inf', csvPath, '-au', '3001', '-ap', password], timeoutMs: 30000,
  });
  const ok = await run('register_auth.xml', 'pw3001');
  t.equal(ok.stats?.successful, 1, `registered ${ok.errors}`);
  const bad = await run('register_auth_fail.xml', 'nope');
  t.equal(bad.stats?.successful, 1, `wrong password refused ${bad.errors}`);
  const regs = await rig.signalling.registrations(acc._id);
  t.same(regs.map((r) => [r.authorizing_id, r.username, r.realm]), [[dev._id, '3001', 's.test']]);
  const call = await run('invite_auth.xml', 'pw3001');
  t.equal(call.stats?.successful, 1, `authenticated call ${call.errors}`);
  t.same(rig.callers.map((c) => (c.kind === CallerKind.Device ? [c.device.id, c.account.id] : c.kind)), [[dev._id, acc._id]]);
});

t.test('a disabled account suspends its subtree in every look-up; its trunks are not registered', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'storedir-'));
  const store = new SqliteDocumentStore({ path: join(dir, 'docs.sqlite') });
  t.teardown(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });
  const reseller = await store.createAccount(null, { name: 'R', realm: 'r.test' });
  const child = await store.createAccount(reseller._id, { name: 'C', realm: 'c.test' });
  const other = await store.createAccount(null, { name: 'O', realm: 'o.test' });
  await store.create('devices', child._id, { sip: { username: '1001', password: 'pw' } });
  const childTrunk = await store.create('resources', child._id, { name: 't', rules: [], gateways: [{ server: '198.51.100.2', register: true, username: 'u', password: 'p' }] });
  const otherTrunk = await store.create('resources', other._id, { name: 't', rules: [], gateways: [{ server: '198.51.100.3', register: true, username: 'u', password: 'p' }] });
  const d = new StoreDirectory(store);
  const view = async (): Promise<unknown[]> => [
    (await d.accountById(child._id))?.enabled, (await d.accountByRealm('c.test'))?.enabled,
    (await d.deviceBySipCredentials('1001', 'c.test'))?.account.enabled, (await d.allResources()).map((r) => r.id).sort(),
  ];
  const both = [childTrunk._id, otherTrunk._id].sort();
  t.same(await view(), [undefined, undefined, undefined, both], 'enabled: nothing said, both trunks');
  await store.merge('accounts', reseller._id, { enabled: false });
  t.same(await view(), [false, false, false, [otherTrunk._id]], 'the ancestor disabled: the child is disabled everywhere');
  t.equal((await d.accountById(other._id))?.enabled, undefined, 'another tree is untouched');
  await store.merge('accounts', reseller._id, { enabled: true });
  t.same(await view(), [undefined, undefined, undefined, both], 'enabled again');
});
