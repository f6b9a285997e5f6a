/**
 * Tenancy of references (issue 11, defect 2): every id a document carries must name a document
 * of the document's own account. Each id-bearing field is tried with another tenant's id, a
 * descendant's id and an ancestor's id, through PUT, POST and PATCH: 400 with the field's
 * `not_found` error, and nothing written. The same documents with the account's own ids pass.
 */
import t from 'tap';
import type { JsonObject } from '../../../src/store';
import { dataOf, makeApi, asMaster } from './helpers';

type Method = 'PUT' | 'POST' | 'PATCH';

t.test('every id-bearing field refuses ids of other accounts, descendants and ancestors included', async (t) => {
  const api = await makeApi(t);
  const { master, mk, keyOf } = await asMaster(api);
  const a = await mk(master.accountId, 'alpha');
  const b = await mk(master.accountId, 'bravo');
  const a1 = await mk(a, 'alpha-one');
  const tokB = (await api.login(await keyOf(b))).token;
  const tokA = (await api.login(await keyOf(a))).token;

  const put = async (account: string, collection: string, body: JsonObject): Promise<string> => {
    const r = await api.req('PUT', `/v2/accounts/${account}/${collection}`, master.token, body);
    if (r.status !== 201) throw new Error(`seed ${collection}: ${r.status} ${JSON.stringify(r.body)}`);
    return dataOf(r)['id'] as string;
  };
  const userOf = (account: string, n: string): Promise<string> => put(account, 'users', { first_name: n, last_name: 'T' });
  const deviceOf = (account: string, n: string): Promise<string> => put(account, 'devices', { name: n, sip: { username: n, password: `pw-${n}` } });
  const devA = await deviceOf(a, 'alpha100');
  const userA = await userOf(a, 'Alpha');
  const devA1 = await deviceOf(a1, 'alpha1100');
  const userA1 = await userOf(a1, 'AlphaOne');
  const devMaster = await deviceOf(master.accountId, 'master100');
  const userMaster = await userOf(master.accountId, 'Master');
  const devB = await deviceOf(b, 'bravo100');
  const userB = await userOf(b, 'Bravo');
  const cfB = await put(b, 'callflows', { numbers: ['2000'], flow: { module: 'device', data: { id: devB } } });
  const cfA = await put(a, 'callflows', { numbers: ['1000'], flow: { module: 'device', data: { id: devA } } });

  const device = (id: string): JsonObject => ({ module: 'device', data: { id } });
  const user = (id: string): JsonObject => ({ module: 'user', data: { id } });
  const flowDoc = (flow: JsonObject): JsonObject => ({ numbers: ['2999'], flow });
  /** PATCH merges into the stored flow (a device node): `id: null` removes its id where the new root has none. */
  const patchOf = (flow: JsonObject): JsonObject => ({ flow: { ...flow, data: { id: null, ...(flow['data'] as JsonObject) } } });

  interface Tenant { label: string; token: string; account: string; cf: string; dev: string; usr: string }
  interface Foreign { dev: string; usr: string; account: string }
  /** Flow shapes each carrying one foreign id at a known path; own ids elsewhere in the tree. */
  const flows = (own: Tenant, f: Foreign): Array<[string, JsonObject, string]> => [
    ['device at the root', device(f.dev), 'flow.data.id'],
    ['user at the root', user(f.usr), 'flow.data.id'],
    ['device under record_call', { module: 'record_call', data: { action: 'start' }, children: { _: device(f.dev) } }, 'flow.children._.data.id'],
    ['user as a fallback child', { ...device(own.dev), children: { _: user(f.usr) } }, 'flow.children._.data.id'],
    ['device in a named branch, deep', { ...user(own.usr), children: { _: { ...device(own.dev), children: { busy: device(f.dev) } } } }, 'flow.children._.children.busy.data.id'],
    ['resources hunting another account', { module: 'resources', data: { hunt_account_id: f.account } }, 'flow.data.hunt_account_id'],
  ];
  const pairs: Array<[Tenant, Foreign]> = [
    [{ label: 'sibling ids (bravo -> alpha)', token: tokB, account: b, cf: cfB, dev: devB, usr: userB }, { dev: devA, usr: userA, account: a }],
    [{ label: 'descendant ids (alpha -> alpha-one)', token: tokA, account: a, cf: cfA, dev: devA, usr: userA }, { dev: devA1, usr: userA1, account: a1 }],
    // The master's token reaches alpha and bravo, but a bravo document may name only bravo's ids.
    [{ label: 'ancestor and cousin ids (master writing in bravo)', token: master.token, account: b, cf: cfB, dev: devB, usr: userB }, { dev: devMaster, usr: userMaster, account: master.accountId }],
    [{ label: 'cousin ids (master writing in bravo -> alpha)', token: master.token, account: b, cf: cfB, dev: devB, usr: userB }, { dev: devA, usr: userA, account: a }],
  ];

  // [case, method, url, token, body, field path, rule]
  const cases: Array<[string, Method, string, string, JsonObject, string, string]> = [];
  for (const [own, f] of pairs) {
    for (const [shape, flow, path] of flows(own, f)) {
      cases.push([`${own.label}: callflow PUT, ${shape}`, 'PUT', `/v2/accounts/${own.account}/callflows`, own.token, flowDoc(flow), path, 'not_found']);
      cases.push([`${own.label}: callflow POST, ${shape}`, 'POST', `/v2/accounts/${own.account}/callflows/${own.cf}`, own.token, flowDoc(flow), path, 'not_found']);
      cases.push([`${own.label}: callflow PATCH, ${shape}`, 'PATCH', `/v2/accounts/${own.account}/callflows/${own.cf}`, own.token, patchOf(flow), path, 'not_found']);
    }
    cases.push([`${own.label}: device PUT owner_id`, 'PUT', `/v2/accounts/${own.account}/devices`, own.token, { name: 'x', owner_id: f.usr }, 'owner_id', 'not_found']);
    cases.push([`${own.label}: device POST owner_id`, 'POST', `/v2/accounts/${own.account}/devices/${own.dev}`, own.token, { name: 'x', owner_id: f.usr }, 'owner_id', 'not_found']);
    cases.push([`${own.label}: device PATCH owner_id`, 'PATCH', `/v2/accounts/${own.account}/devices/${own.dev}`, own.token, { owner_id: f.usr }, 'owner_id', 'not_found']);
  }
  // A device's own realm is an identifier too: another account's realm is refused.
  cases.push(['device PUT sip.realm of another account', 'PUT', `/v2/accounts/${b}/devices`, tokB, { name: 'x', sip: { username: 'r1', password: 'secret', realm: 'alpha.example.com' } }, 'sip.realm', 'unique']);
  cases.push(['device PATCH sip.realm of another account', 'PATCH', `/v2/accounts/${b}/devices/${devB}`, tokB, { sip: { realm: 'alpha.example.com' } }, 'sip.realm', 'unique']);
  // An id that is not a string cannot be checked, nor rung.
  cases.push(['callflow device id of the wrong type', 'PUT', `/v2/accounts/${b}/callflows`, tokB, flowDoc({ module: 'device', data: { id: 42 } }), 'flow.data.id', 'type']);

  const snapshot = async (): Promise<string> => JSON.stringify(await Promise.all(
    [a, b, a1, master.accountId].flatMap((acc) => (['callflows', 'devices', 'users'] as const).map((c) => api.store.list(c, acc))),
  ));
  const before = await snapshot();
  for (const [name, method, url, tok, body, path, rule] of cases) {
    const r = await api.req(method, url, tok, body);
    t.equal(r.status, 400, `${name}: 400`);
    t.equal(r.body.status, 'error');
    t.same(Object.keys(dataOf(r)), [path], `${name}: the one field ${path} is reported`);
    t.ok((dataOf(r)[path] as JsonObject | undefined)?.[rule], `${name}: rule ${rule}`);
  }
  t.equal(await snapshot(), before, 'nothing was written by any refused request');

  // The error does not tell another tenant's id from one that does not exist.
  const ghost = await api.req('PUT', `/v2/accounts/${b}/callflows`, tokB, flowDoc(device('0'.repeat(32))));
  const foreign = await api.req('PUT', `/v2/accounts/${b}/callflows`, tokB, flowDoc(device(devA)));
  const msg = (r: typeof ghost, id: string): string => JSON.stringify(dataOf(r)).replaceAll(id, 'ID');
  t.equal(msg(foreign, devA), msg(ghost, '0'.repeat(32)), 'same error for a foreign and an absent id');

  // The account's own ids pass, through every verb.
  t.equal((await api.req('PUT', `/v2/accounts/${b}/callflows`, tokB, flowDoc({ ...user(userB), children: { _: device(devB) } }))).status, 201, 'own ids: PUT');
  t.equal((await api.req('POST', `/v2/accounts/${b}/callflows/${cfB}`, tokB, { numbers: ['2000'], flow: { module: 'resources', data: { hunt_account_id: b } } })).status, 200, 'own account hunted: POST');
  t.equal((await api.req('PATCH', `/v2/accounts/${b}/callflows/${cfB}`, tokB, { flow: device(devB) })).status, 200, 'own ids: PATCH');
  t.equal((await api.req('PATCH', `/v2/accounts/${b}/devices/${devB}`, tokB, { owner_id: userB, sip: { realm: 'bravo.example.com' } })).status, 200, 'own owner and own realm');
});
