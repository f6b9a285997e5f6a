/**
 * A disabled account is suspended (issue 11, defect 3): `enabled: false` on an account refuses
 * at once every token of it and of its descendants (403 account_disabled), api_auth of them too,
 * and only an ancestor can enable it again; then the same tokens work again.
 */
import t from 'tap';
import type { JsonObject } from '../../../src/store';
import { dataOf, makeApi, type Reply, asMaster } from './helpers';

const disabled = { status: 403, error: '403', message: 'account_disabled', data: { message: 'account disabled' } };
const shape = (r: Reply): JsonObject => ({ status: r.status, error: r.body.error ?? null, message: r.body.message ?? null, data: r.body.data });

t.test('disabling suspends the account and its descendants at once; only an ancestor re-enables', async (t) => {
  const api = await makeApi(t);
  const { master, mk, keyOf } = await asMaster(api);
  const reseller = await mk(master.accountId, 'reseller');
  const customer = await mk(reseller, 'customer');
  const sub = await mk(customer, 'sub');
  const sibling = await mk(reseller, 'sibling');
  const keys = { reseller: await keyOf(reseller), customer: await keyOf(customer), sub: await keyOf(sub), sibling: await keyOf(sibling) };
  const tok = {
    reseller: (await api.login(keys.reseller)).token, customer: (await api.login(keys.customer)).token,
    sub: (await api.login(keys.sub)).token, sibling: (await api.login(keys.sibling)).token,
  };
  t.equal((await api.req('GET', `/v2/accounts/${customer}`, tok.customer)).status, 200, 'the customer works before');

  const off = await api.req('PATCH', `/v2/accounts/${customer}`, tok.reseller, { enabled: false });
  t.equal(off.status, 200, 'the reseller disables its customer');
  t.equal(dataOf(off)['enabled'], false);

  // At once, for tokens issued before: reads, writes and the account itself.
  const devicesBefore = (await api.store.list('devices', customer)).length;
  const refusedNow: Array<[string, 'GET' | 'PUT' | 'PATCH', string, string, JsonObject | undefined]> = [
    ['customer reads itself', 'GET', `/v2/accounts/${customer}`, tok.customer, undefined],
    ['customer lists its devices', 'GET', `/v2/accounts/${customer}/devices`, tok.customer, undefined],
    ['customer creates a device', 'PUT', `/v2/accounts/${customer}/devices`, tok.customer, { name: 'late', sip: { username: 'late1', password: 'secret' } }],
    ['customer writes in its sub-account', 'PUT', `/v2/accounts/${sub}/users`, tok.customer, { first_name: 'a', last_name: 'b' }],
    ['customer re-enables itself (PATCH)', 'PATCH', `/v2/accounts/${customer}`, tok.customer, { enabled: true }],
    ['descendant reads itself', 'GET', `/v2/accounts/${sub}`, tok.sub, undefined],
    ['descendant re-enables its parent', 'PATCH', `/v2/accounts/${customer}`, tok.sub, { enabled: true }],
  ];
  for (const [name, method, url, token, body] of refusedNow) {
    t.same(shape(await api.req(method, url, token, body)), disabled, `${name}: 403 account_disabled`);
  }
  t.equal((await api.store.list('devices', customer)).length, devicesBefore, 'nothing written');
  t.equal((await api.store.list('users', sub)).length, 0, 'nothing written in the sub-account');
  t.equal((await api.store.readAccount(customer))['enabled'], false, 'still disabled');

  for (const [name, key] of [['customer', keys.customer], ['its descendant', keys.sub]] as const) {
    const r = await api.req('PUT', '/v2/api_auth', undefined, { api_key: key });
    t.same(shape(r), disabled, `api_auth of ${name}: 403 account_disabled`);
    t.notOk(r.body.auth_token, 'no token handed out');
  }
  t.equal((await api.req('GET', `/v2/accounts/${sibling}`, tok.sibling)).status, 200, 'a sibling is not affected');
  t.equal((await api.req('GET', `/v2/accounts/${customer}`, tok.reseller)).status, 200, 'the ancestor still reads the disabled account');

  // An account cannot change its own `enabled`: neither lock itself out nor undo a suspension.
  for (const [name, id, token] of [['sibling', sibling, tok.sibling], ['master', master.accountId, master.token]] as const) {
    const r = await api.req('PATCH', `/v2/accounts/${id}`, token, { enabled: false });
    t.equal(r.status, 400, `${name} disabling itself: 400`);
    t.same(Object.keys(dataOf(r)), ['enabled'], 'the field error names enabled');
    t.notOk((await api.store.readAccount(id))['enabled'] === false, `${name} still enabled`);
  }
  t.equal((await api.req('POST', `/v2/accounts/${sibling}`, tok.sibling, { name: 'sibling 2', realm: 'sibling.example.com' })).status, 200,
    'replacing its own account without touching enabled is fine');

  const on = await api.req('PATCH', `/v2/accounts/${customer}`, tok.reseller, { enabled: true });
  t.equal(on.status, 200, 'the reseller enables it again');
  t.equal((await api.req('GET', `/v2/accounts/${customer}`, tok.customer)).status, 200, 'the same customer token works again');
  t.equal((await api.req('GET', `/v2/accounts/${sub}`, tok.sub)).status, 200, 'and the descendant token');
  t.equal((await api.req('PUT', '/v2/api_auth', undefined, { api_key: keys.customer })).status, 201, 'api_auth works again');

  // Disabling higher up suspends the whole subtree, the disabled account's own token included.
  t.equal((await api.req('PATCH', `/v2/accounts/${reseller}`, master.token, { enabled: false })).status, 200);
  for (const [name, token, id] of [['reseller', tok.reseller, reseller], ['customer', tok.customer, customer], ['sub', tok.sub, sub], ['sibling', tok.sibling, sibling]] as const) {
    t.same(shape(await api.req('GET', `/v2/accounts/${id}`, token)), disabled, `${name} under a disabled reseller: 403`);
  }
  t.same(shape(await api.req('PATCH', `/v2/accounts/${customer}`, tok.reseller, { enabled: true })), disabled, 'a disabled ancestor cannot act either');
  t.equal((await api.req('PATCH', `/v2/accounts/${reseller}`, master.token, { enabled: true })).status, 200, 'the master re-enables the reseller');
  t.equal((await api.req('GET', `/v2/accounts/${sub}`, tok.sub)).status, 200, 'the subtree is back');
});
