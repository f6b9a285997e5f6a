import t from 'tap';
import type { JsonObject } from '../../../src/store';
import { dataOf, makeApi, type Reply, asMaster } from './helpers';

/** The envelope without what differs per request, to compare refusals with each other. */
function stable(r: Reply): JsonObject {
  const { request_id: _r, auth_token: _a, ...rest } = r.body;
  return { http: r.status, ...rest } as JsonObject;
}

t.test('a token reaches its account and descendants only, and refusals leak nothing', async (t) => {
  const api = await makeApi(t);
  const { master, mk, keyOf } = await asMaster(api);
  const a = await mk(master.accountId, 'alpha');
  const b = await mk(master.accountId, 'bravo');
  const a1 = await mk(a, 'alpha-one');
  const tokA = (await api.login(await keyOf(a))).token;
  const tokA1 = (await api.login(await keyOf(a1))).token;

  const bUser = dataOf(await api.req('PUT', `/v2/accounts/${b}/users`, master.token, { first_name: 'Secret', last_name: 'Bravo', email: 'ceo@bravo.example.com' }));
  const bUserId = bUser['id'] as string;
  const bDevice = dataOf(await api.req('PUT', `/v2/accounts/${b}/devices`, master.token, { name: 'bravo phone', sip: { username: 'bravo1', password: 'bravopass' } }));
  const bRevBefore = (await api.store.read('users', bUserId))._rev;

  const forbidden = { http: 403, status: 'error', data: { message: 'forbidden' }, error: '403', message: 'forbidden' };
  const attempts: Array<[string, 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE', string, string, JsonObject | undefined]> = [
    ['sibling account', 'GET', `/v2/accounts/${b}`, tokA, undefined],
    ['sibling children', 'GET', `/v2/accounts/${b}/children`, tokA, undefined],
    ['sibling api key', 'GET', `/v2/accounts/${b}/api_key`, tokA, undefined],
    ['sibling users list', 'GET', `/v2/accounts/${b}/users`, tokA, undefined],
    ['sibling user', 'GET', `/v2/accounts/${b}/users/${bUserId}`, tokA, undefined],
    ['sibling user patch', 'PATCH', `/v2/accounts/${b}/users/${bUserId}`, tokA, { call_recording: { inbound: { onnet: { enabled: true } } } }],
    ['sibling user replace', 'POST', `/v2/accounts/${b}/users/${bUserId}`, tokA, { first_name: 'x', last_name: 'y' }],
    ['sibling user delete', 'DELETE', `/v2/accounts/${b}/users/${bUserId}`, tokA, undefined],
    ['create in sibling', 'PUT', `/v2/accounts/${b}/devices`, tokA, { name: 'implant' }],
    ['child of sibling', 'PUT', `/v2/accounts/${b}`, tokA, { name: 'under-bravo' }],
    ['sibling patch', 'PATCH', `/v2/accounts/${b}`, tokA, { name: 'pwned' }],
    ['sibling delete', 'DELETE', `/v2/accounts/${b}`, tokA, undefined],
    ['parent from child', 'GET', `/v2/accounts/${a}`, tokA1, undefined],
    ['parent users from child', 'GET', `/v2/accounts/${a}/users`, tokA1, undefined],
    ['master from child', 'GET', `/v2/accounts/${master.accountId}`, tokA1, undefined],
    ['master children from grandchild', 'GET', `/v2/accounts/${master.accountId}/children`, tokA1, undefined],
    ['unknown account', 'GET', `/v2/accounts/${'0'.repeat(32)}`, tokA, undefined],
  ];
  for (const [name, method, url, token, body] of attempts) {
    const r = await api.req(method, url, token, body);
    t.same(stable(r), forbidden, `${name}: 403 with the bare forbidden envelope`);
    const text = JSON.stringify(r.body);
    for (const secret of ['Secret', 'bravo', bUserId, bDevice['id'] as string]) t.notOk(text.includes(secret), `${name}: no ${secret} in reply`);
  }

  // Another tenant's document through one's own account path is simply absent.
  const viaOwn = await api.req('GET', `/v2/accounts/${a}/users/${bUserId}`, tokA);
  t.equal(viaOwn.status, 404);
  t.same(viaOwn.body.data, { message: 'bad identifier', cause: bUserId }, 'only the id the caller sent');
  const patchViaOwn = await api.req('PATCH', `/v2/accounts/${a}/users/${bUserId}`, tokA, { first_name: 'x' });
  t.equal(patchViaOwn.status, 404);
  const ownDevice = await api.req('PUT', `/v2/accounts/${a}/devices`, tokA, { name: 'mine', owner_id: bUserId });
  t.equal(ownDevice.status, 400, "a device cannot be owned by another tenant's user");
  t.same(Object.keys(ownDevice.body.data as JsonObject), ['owner_id']);

  t.equal((await api.store.read('users', bUserId))._rev, bRevBefore, "bravo's user untouched");
  t.same((await api.store.list('devices', b)).map((d) => d._id), [bDevice['id']], 'nothing created in bravo');
  t.same(await api.store.listChildren(b), [], 'no child made under bravo');
  t.equal((await api.store.readAccount(b))['name'], 'bravo');

  // Downwards is allowed.
  t.equal((await api.req('GET', `/v2/accounts/${a1}`, tokA)).status, 200, 'parent reads its child');
  t.equal((await api.req('PUT', `/v2/accounts/${a1}/users`, tokA, { first_name: 'c', last_name: 'd' })).status, 201, 'parent writes in its child');
  t.equal((await api.req('GET', `/v2/accounts/${b}/users/${bUserId}`, master.token)).status, 200, 'master reads everywhere');
  const desc = await api.req('GET', `/v2/accounts/${a}/descendants`, tokA);
  t.same((desc.body.data as JsonObject[]).map((d) => d['name']), ['alpha-one']);
});
