import t from 'tap';
import type { JsonObject } from '../../../src/store';
import { BOOTSTRAP_KEY, dataOf, makeApi, type TestApi } from './helpers';

async function setup(t: { teardown(fn: () => unknown): void }): Promise<{ api: TestApi; token: string; acc: string }> {
  const api = await makeApi(t);
  const master = await api.login(BOOTSTRAP_KEY);
  const acc = dataOf(await api.req('PUT', `/v2/accounts/${master.accountId}`, master.token, { name: 'Sales', realm: 'sales.example.com' }))['id'] as string;
  return { api, token: master.token, acc };
}

interface CrudCase {
  collection: string;
  create: JsonObject;
  /** Fields the summary list must show for the created document. */
  summary: JsonObject;
  patch: JsonObject;
  replace: JsonObject;
}

const CASES: CrudCase[] = [
  {
    collection: 'users',
    create: { first_name: 'Ann', last_name: 'Lee', username: 'ann', email: 'ann@example.com' },
    summary: { username: 'ann', first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com', priv_level: 'user', enabled: true },
    patch: { call_recording: { outbound: { offnet: { enabled: true, format: 'wav' } } } },
    replace: { first_name: 'Anne', last_name: 'Lee' },
  },
  {
    collection: 'devices',
    create: { name: 'desk phone', sip: { username: '1001', password: 'secret1001' } },
    summary: { name: 'desk phone', username: '1001', enabled: true },
    patch: { call_recording: { inbound: { onnet: { enabled: false } } } },
    replace: { name: 'soft phone', sip: { username: '1001', password: 'other-secret' } },
  },
  {
    collection: 'callflows',
    create: { name: 'main', numbers: ['1001'], flow: { module: 'record_call', data: { format: 'mp3' }, children: { _: { module: 'resources', data: {} } } } },
    summary: { name: 'main', numbers: ['1001'], patterns: [] },
    patch: { numbers: ['1001', '1002'] },
    replace: { numbers: ['2000'], flow: { module: 'record_caller', data: { url: 'https://rec.example.com/vm' } } },
  },
  {
    collection: 'resources',
    create: { name: 'carrier', gateways: [{ server: '192.0.2.10', register: true, username: 'u', password: 'p' }], rules: ['^\\+?1\\d{10}$'] },
    summary: { name: 'carrier', enabled: true, emergency: false, weight: 50 },
    patch: { inbound_ips: ['198.51.100.7'] },
    replace: { name: 'carrier 2', gateways: [{ server: 'sip.carrier.example', transport: 'tcp' }] },
  },
];

t.test('CRUD with revisions and conflicts, per collection', async (t) => {
  const { api, token, acc } = await setup(t);
  for (const c of CASES) {
    const base = `/v2/accounts/${acc}/${c.collection}`;
    const created = await api.req('PUT', base, token, c.create);
    t.equal(created.status, 201, `${c.collection}: PUT creates`);
    const doc = dataOf(created);
    const id = doc['id'] as string;
    t.match(id, /^[0-9a-f]{32}$/);
    t.match(doc, c.create, `${c.collection}: created document carries the input`);

    const list = await api.req('GET', base, token);
    t.same(list.body.data, [{ id, ...c.summary }], `${c.collection}: list shows the summary`);

    const one = await api.req('GET', `${base}/${id}`, token);
    t.same(dataOf(one), doc, `${c.collection}: GET one`);
    t.equal(one.body.revision, created.body.revision);

    const patched = await api.req('PATCH', `${base}/${id}`, token, c.patch);
    t.equal(patched.status, 200, `${c.collection}: PATCH`);
    t.match(dataOf(patched), { ...c.create, ...c.patch }, `${c.collection}: PATCH merges`);
    t.match(patched.body.revision, /^2-/);

    const stale = await api.req('POST', `${base}/${id}`, token, c.replace, { 'if-match': created.body.revision as string });
    t.equal(stale.status, 409, `${c.collection}: stale If-Match`);
    t.same(dataOf(await api.req('GET', `${base}/${id}`, token)), dataOf(patched), `${c.collection}: conflict wrote nothing`);

    const replaced = await api.req('POST', `${base}/${id}`, token, c.replace, { 'if-match': patched.body.revision as string });
    t.equal(replaced.status, 200, `${c.collection}: POST replaces`);
    t.match(dataOf(replaced), c.replace);
    for (const k of Object.keys(c.patch)) if (!(k in c.replace)) t.notSame(dataOf(replaced)[k], c.patch[k], `${c.collection}: ${k} not kept by POST`);
    t.match(replaced.body.revision, /^3-/);

    const del = await api.req('DELETE', `${base}/${id}`, token);
    t.equal(del.status, 200, `${c.collection}: DELETE`);
    const after = await api.req('GET', `${base}/${id}`, token);
    t.equal(after.status, 404);
    t.match(after.body, { error: '404', message: 'bad_identifier', data: { cause: id } });
    t.same((await api.req('GET', base, token)).body.data, [], `${c.collection}: list empty after delete`);
    t.equal((await api.store.read(c.collection as 'users', id, { includeDeleted: true })).pvt_deleted, true, 'soft-deleted as Kazoo does');
  }
});

t.test("the spec's example PATCH of a user's call_recording", async (t) => {
  const { api, token, acc } = await setup(t);
  const user = dataOf(await api.req('PUT', `/v2/accounts/${acc}/users`, token, { first_name: 'Sales', last_name: 'Person' }));
  const settings = { enabled: true, format: 'mp3', url: 'http://recordings.example.com/store', time_limit: 600, record_min_sec: 5 };
  const r = await api.req('PATCH', `/v2/accounts/${acc}/users/${user['id'] as string}`, token, {
    call_recording: { inbound: { offnet: settings }, outbound: { offnet: settings } },
  });
  t.equal(r.status, 200);
  const stored = await api.store.read('users', user['id'] as string);
  t.same(stored['call_recording'], { inbound: { offnet: settings }, outbound: { offnet: settings } });
  t.equal(stored['first_name'], 'Sales', 'the rest of the user is kept');
});

t.test('bad input: 400 with exact field paths, nothing written', async (t) => {
  const { api, token, acc } = await setup(t);
  const user = dataOf(await api.req('PUT', `/v2/accounts/${acc}/users`, token, { first_name: 'U', last_name: 'One', username: 'one' }));
  const userUrl = `/v2/accounts/${acc}/users/${user['id'] as string}`;
  await api.req('PUT', `/v2/accounts/${acc}/callflows`, token, { numbers: ['500'], flow: { module: 'device', data: {} } });
  await api.req('PUT', `/v2/accounts/${acc}/devices`, token, { name: 'd', sip: { username: 'taken', password: 'secret' } });

  // [method, collection, body, expected {path: [rules]}]
  const table: Array<[string, 'PUT' | 'PATCH', string, JsonObject, Record<string, string[]>]> = [
    ['format enum', 'PATCH', 'users', { call_recording: { inbound: { onnet: { format: 'ogg' } } } }, { 'call_recording.inbound.onnet.format': ['enum'] }],
    ['enabled type', 'PATCH', 'users', { call_recording: { outbound: { offnet: { enabled: 'true' } } } }, { 'call_recording.outbound.offnet.enabled': ['type'] }],
    ['time_limit range', 'PATCH', 'users', { call_recording: { inbound: { offnet: { time_limit: 0 } } } }, { 'call_recording.inbound.offnet.time_limit': ['minimum'] }],
    ['url scheme', 'PATCH', 'users', { call_recording: { inbound: { offnet: { url: 'file:///etc/passwd' } } } }, { 'call_recording.inbound.offnet.url': ['format'] }],
    ['unknown setting', 'PATCH', 'users', { call_recording: { inbound: { offnet: { bogus: 1 } } } }, { 'call_recording.inbound.offnet.bogus': ['additionalProperties'] }],
    ['required names', 'PUT', 'users', { username: 'x' }, { first_name: ['required'], last_name: ['required'] }],
    ['duplicate username', 'PUT', 'users', { first_name: 'a', last_name: 'b', username: 'one' }, { username: ['unique'] }],
    ['device password too short', 'PUT', 'devices', { name: 'x', sip: { username: 'abc', password: '123' } }, { 'sip.password': ['minLength'] }],
    ['device duplicate sip user', 'PUT', 'devices', { name: 'x', sip: { username: 'taken', password: 'secret' } }, { 'sip.username': ['unique'] }],
    ['device owner elsewhere', 'PUT', 'devices', { name: 'x', owner_id: 'f'.repeat(32) }, { owner_id: ['not_found'] }],
    ['device recording sample rate', 'PUT', 'devices', { name: 'x', call_recording: { inbound: { onnet: { record_sample_rate: 'hi' } } } }, { 'call_recording.inbound.onnet.record_sample_rate': ['type'] }],
    ['callflow without flow', 'PUT', 'callflows', { numbers: ['1'] }, { flow: ['required'] }],
    ['callflow number taken', 'PUT', 'callflows', { numbers: ['500'], flow: { module: 'device', data: {} } }, { numbers: ['unique'] }],
    ['callflow bad pattern', 'PUT', 'callflows', { patterns: ['(unclosed'], flow: { module: 'device', data: {} } }, { 'patterns.0': ['invalid'] }],
    ['record_call action enum (nested child)', 'PUT', 'callflows', { numbers: ['9'], flow: { module: 'device', data: {}, children: { _: { module: 'record_call', data: { action: 'rewind' } } } } }, { 'flow.children._.data.action': ['enum'] }],
    ['record_caller method', 'PUT', 'callflows', { numbers: ['9'], flow: { module: 'record_caller', data: { method: 'get', time_limit: 99999 } } }, { 'flow.data.method': ['enum'], 'flow.data.time_limit': ['maximum'] }],
    ['node without module', 'PUT', 'callflows', { numbers: ['9'], flow: { data: {} } }, { 'flow.module': ['required'] }],
    ['resource gateway', 'PUT', 'resources', { name: 'r', gateways: [{ server: '', transport: 'sctp' }] }, { 'gateways.0.server': ['minLength'], 'gateways.0.transport': ['enum'] }],
    ['resource register without credentials', 'PUT', 'resources', { name: 'r', gateways: [{ server: 'a.example', register: true }] }, { 'gateways.0.username': ['required'], 'gateways.0.password': ['required'] }],
    ['resource bad rule', 'PUT', 'resources', { name: 'r', gateways: [], rules: ['['] }, { 'rules.0': ['invalid'] }],
    ['resource gateways missing', 'PUT', 'resources', { name: 'r' }, { gateways: ['required'] }],
  ];

  for (const [name, method, collection, body, want] of table) {
    const before = {
      list: await api.store.list(collection as 'users', acc),
      user: await api.store.read('users', user['id'] as string),
    };
    const url = method === 'PATCH' ? userUrl : `/v2/accounts/${acc}/${collection}`;
    const r = await api.req(method, url, token, body);
    t.equal(r.status, 400, `${name}: 400`);
    t.match(r.body, { status: 'error', error: '400', message: 'validation error' });
    const got: Record<string, string[]> = {};
    for (const [path, rules] of Object.entries(r.body.data as Record<string, JsonObject>)) got[path] = Object.keys(rules).sort();
    t.same(got, want, `${name}: field errors`);
    for (const rules of Object.values(r.body.data as Record<string, Record<string, JsonObject>>)) {
      for (const detail of Object.values(rules)) t.type(detail['message'], 'string');
    }
    t.same(await api.store.list(collection as 'users', acc), before.list, `${name}: nothing created`);
    t.same(await api.store.read('users', user['id'] as string), before.user, `${name}: user unchanged`);
  }

  const notJson = await api.app.inject({ method: 'PUT', url: `/v2/accounts/${acc}/users`, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, payload: '{"data":' });
  t.equal(notJson.statusCode, 400);
  t.match(notJson.json(), { error: '400', message: 'parse_error' });
  const dataNotObject = await api.app.inject({ method: 'PUT', url: `/v2/accounts/${acc}/users`, headers: { 'x-auth-token': token }, payload: '{"data":[1]}' });
  t.equal(dataNotObject.statusCode, 400);
  t.same(dataNotObject.json().data, { data: { type: { message: 'Value did not match type(s): object', target: 'object' } } });
  const pvt = await api.req('PATCH', userUrl, token, { pvt_account_id: 'x', _id: 'y', id: 'z', last_name: 'Two' });
  t.equal(pvt.status, 200, 'private keys in input are ignored, not errors');
  const stored = await api.store.read('users', user['id'] as string);
  t.equal(stored.pvt_account_id, acc, 'owner unchanged');
  t.equal(stored['last_name'], 'Two');
});

t.test('bodies nested deeper than api.maxBodyDepth: 400 parse_error on every write, nothing written', async (t) => {
  const { api, token, acc } = await setup(t);
  const user = dataOf(await api.req('PUT', `/v2/accounts/${acc}/users`, token, { first_name: 'U', last_name: 'One' }));
  const userUrl = `/v2/accounts/${acc}/users/${user['id'] as string}`;
  let deep = '1';
  for (let i = 0; i < 3000; i++) deep = `{"a":${deep}}`;
  const writes: Array<['PUT' | 'POST' | 'PATCH', string, string]> = [
    ['PUT', `/v2/accounts/${acc}/users`, `{"data":{"first_name":"x","last_name":"y","deep":${deep}}}`],
    ['PATCH', userUrl, `{"data":{"deep":${deep}}}`],
    ['POST', `/v2/accounts/${acc}`, `{"data":{"name":"x","deep":${deep}}}`],
    ['PUT', `/v2/accounts/${acc}/callflows`, `{"data":{"numbers":["1"],"flow":{"module":"device","data":{"id":${'['.repeat(3000)}${']'.repeat(3000)}}}}}`],
  ];
  const before = { users: await api.store.list('users', acc), account: await api.store.read('accounts', acc) };
  for (const [method, url, payload] of writes) {
    const r = await api.app.inject({ method, url, headers: { 'x-auth-token': token }, payload });
    t.equal(r.statusCode, 400, `${method} ${url}: 400, not a 500`);
    t.same(r.json().data, { message: 'request body nested deeper than 64 levels', target: 64 }, `${method}: says why`);
    t.match(r.json(), { status: 'error', error: '400', message: 'parse_error' });
  }
  t.same(await api.store.list('users', acc), before.users, 'no user written');
  t.same(await api.store.read('accounts', acc), before.account, 'account unchanged');

  // 64 levels in all (envelope 1, document 2, 62 more): accepted and stored.
  let atBound = '1';
  for (let i = 0; i < 62; i++) atBound = `{"a":${atBound}}`;
  const ok = await api.app.inject({ method: 'PATCH', url: userUrl, headers: { 'x-auth-token': token }, payload: `{"data":{"deep":${atBound}}}` });
  t.equal(ok.statusCode, 200, 'a body exactly at the bound is accepted');
});

t.test('revision: the document revision on single documents, no revision key on lists', async (t) => {
  const { api, token, acc } = await setup(t);
  const created = await api.req('PUT', `/v2/accounts/${acc}/users`, token, { first_name: 'U', last_name: 'One' });
  t.match(created.body.revision, /^1-[0-9a-f]{32}$/);
  const list = await api.req('GET', `/v2/accounts/${acc}/users`, token);
  t.equal(list.status, 200);
  t.notOk('revision' in list.body, 'a list has no revision (never the string "undefined")');
  t.equal(list.headers['etag'], undefined, 'and no ETag');
  const children = await api.req('GET', `/v2/accounts/${acc}/children`, token);
  t.notOk('revision' in children.body, 'children list: no revision');
});
