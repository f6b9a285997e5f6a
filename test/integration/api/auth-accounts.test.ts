import t from 'tap';
import { BOOTSTRAP_KEY, dataOf, makeApi } from './helpers';

t.test('api_auth: bootstrap key, bad keys, missing/garbage/expired tokens', async (t) => {
  const api = await makeApi(t);

  const bad = await api.req('PUT', '/v2/api_auth', undefined, { api_key: 'wrong' });
  t.equal(bad.status, 401);
  t.match(bad.body, { status: 'error', error: '401', message: 'invalid_credentials', data: { message: 'invalid credentials' } });
  t.same(await api.store.findBy('accounts', 'pvt_superduper_admin', true), [], 'a bad key creates nothing');

  const missing = await api.req('PUT', '/v2/api_auth', undefined, {});
  t.equal(missing.status, 400);
  t.same(missing.body.data, { api_key: { required: { message: 'Field is required but missing' } } });

  const first = await api.req('PUT', '/v2/api_auth', undefined, { api_key: BOOTSTRAP_KEY });
  t.equal(first.status, 201);
  t.equal(first.body.status, 'success');
  t.match(first.body.auth_token, /^[0-9a-f]{64}$/);
  const masterId = dataOf(first)['account_id'] as string;
  t.equal(dataOf(first)['is_reseller'], true);
  const again = await api.login(BOOTSTRAP_KEY);
  t.equal(again.accountId, masterId, 'the bootstrap key keeps meaning the same master account');
  t.equal((await api.store.findBy('accounts', 'pvt_superduper_admin', true)).length, 1, 'one master only');

  const url = `/v2/accounts/${masterId}`;
  const none = await api.req('GET', url);
  t.equal(none.status, 401, 'no token');
  t.equal(none.body.message, 'invalid_credentials');
  t.equal((await api.req('GET', url, 'f'.repeat(64))).status, 401, 'unknown token');
  t.equal((await api.req('GET', url, first.body.auth_token)).status, 200, 'good token');

  api.clock.now += 3600 * 1000;
  const expired = await api.req('GET', url, first.body.auth_token);
  t.equal(expired.status, 401, 'expired after token ttl');
  t.same(expired.body.data, { message: 'invalid credentials' }, 'and nothing of the account is shown');
});

t.test("accounts: children, each account's own api key, revisions, delete rules", async (t) => {
  const api = await makeApi(t);
  const master = await api.login(BOOTSTRAP_KEY);

  const created = await api.req('PUT', `/v2/accounts/${master.accountId}`, master.token, { name: 'Acme', realm: 'acme.example.com' });
  t.equal(created.status, 201);
  const acme = dataOf(created);
  t.match(acme, { name: 'Acme', realm: 'acme.example.com', enabled: true });
  t.match(created.body.revision, /^1-[0-9a-f]{32}$/);
  t.notOk(Object.keys(acme).some((k) => k.startsWith('pvt_') || k.startsWith('_')), 'private fields never shown');

  const viaRoot = await api.req('PUT', '/v2/accounts', master.token, { name: 'Other' });
  t.equal(viaRoot.status, 201, "PUT /v2/accounts creates a child of the caller's account");
  t.match(dataOf(viaRoot)['realm'], /^[0-9a-f]{8}\.sip\.b2bua\.local$/, 'realm generated when absent');

  const children = await api.req('GET', `/v2/accounts/${master.accountId}/children`, master.token);
  t.same((children.body.data as Array<{ name: string }>).map((c) => c.name), ['Acme', 'Other']);

  const dupRealm = await api.req('PUT', `/v2/accounts/${master.accountId}`, master.token, { name: 'Dup', realm: 'ACME.example.com' });
  t.equal(dupRealm.status, 400);
  t.same(dupRealm.body.data, { realm: { unique: { message: 'Account realm already in use', cause: 'ACME.example.com' } } });

  const keyReply = await api.req('GET', `/v2/accounts/${acme['id']}/api_key`, master.token);
  const acmeKey = dataOf(keyReply)['api_key'] as string;
  t.match(acmeKey, /^[0-9a-f]{64}$/);
  const acmeLogin = await api.login(acmeKey);
  t.equal(acmeLogin.accountId, acme['id'], "an account's key logs into that account");

  const patched = await api.req('PATCH', `/v2/accounts/${acme['id']}`, acmeLogin.token, { timezone: 'Europe/Paris' });
  t.equal(patched.status, 200);
  t.match(dataOf(patched), { name: 'Acme', timezone: 'Europe/Paris' });
  t.match(patched.body.revision, /^2-/);

  const stale = await api.req('POST', `/v2/accounts/${acme['id']}`, acmeLogin.token, { name: 'Stale' }, { 'if-match': created.body.revision as string });
  t.equal(stale.status, 409);
  t.match(stale.body, { error: '409', message: 'datastore_conflict', data: { message: 'conflicting documents' } });
  t.equal(dataOf(await api.req('GET', `/v2/accounts/${acme['id']}`, master.token))['name'], 'Acme', 'conflict wrote nothing');

  const replaced = await api.req('POST', `/v2/accounts/${acme['id']}`, acmeLogin.token, { name: 'Acme Inc', realm: 'acme.example.com' }, { 'if-match': `"${patched.body.revision as string}"` });
  t.equal(replaced.status, 200);
  t.same(dataOf(replaced), { name: 'Acme Inc', realm: 'acme.example.com', enabled: true, id: acme['id'] }, 'POST replaces: timezone gone');
  t.equal(replaced.headers['etag'], `"${replaced.body.revision as string}"`);

  const sub = await api.req('PUT', `/v2/accounts/${acme['id']}`, acmeLogin.token, { name: 'Acme Sub' });
  t.equal(sub.status, 201, 'an account creates children of its own');
  const selfDelete = await api.req('DELETE', `/v2/accounts/${acme['id']}`, acmeLogin.token);
  t.equal(selfDelete.status, 403, 'an account cannot delete itself');
  const withChildren = await api.req('DELETE', `/v2/accounts/${acme['id']}`, master.token);
  t.equal(withChildren.status, 400);
  t.equal(withChildren.body.message, 'account_has_descendants');
  const subId = dataOf(sub)['id'] as string;
  await api.req('PUT', `/v2/accounts/${subId}/users`, master.token, { first_name: 'S', last_name: 'U' });
  const del = await api.req('DELETE', `/v2/accounts/${subId}`, acmeLogin.token);
  t.equal(del.status, 200);
  const gone = await api.req('GET', `/v2/accounts/${subId}`, acmeLogin.token);
  t.equal(gone.status, 404);
  t.match(gone.body, { error: '404', message: 'bad_identifier', data: { message: 'bad identifier', cause: subId } });
  t.same(await api.store.list('users', subId), [], "the account's documents went with it");
});

t.test('repeated bad keys from one address are rate-limited; request ids are echoed', async (t) => {
  const api = await makeApi(t);
  for (let i = 0; i < 10; i++) t.equal((await api.req('PUT', '/v2/api_auth', undefined, { api_key: `guess-${i}` })).status, 401);
  const blocked = await api.req('PUT', '/v2/api_auth', undefined, { api_key: BOOTSTRAP_KEY });
  t.equal(blocked.status, 429, 'even the right key waits once the address is blocked');
  t.match(blocked.body, { status: 'error', error: '429', message: 'too_many_requests' });
  t.same(await api.store.findBy('accounts', 'pvt_superduper_admin', true), [], 'nothing created while blocked');
  api.clock.now += 60_001;
  t.equal((await api.req('PUT', '/v2/api_auth', undefined, { api_key: BOOTSTRAP_KEY })).status, 201, 'open again after the window');

  const echoed = await api.req('PUT', '/v2/api_auth', undefined, { api_key: 'x' }, { 'x-request-id': 'client-req-42' });
  t.equal(echoed.body.request_id, 'client-req-42');
  t.equal(echoed.headers['x-request-id'], 'client-req-42');
  const odd = await api.req('PUT', '/v2/api_auth', undefined, { api_key: 'x' }, { 'x-request-id': 'bad id\twith spaces' });
  t.match(odd.body.request_id, /^[0-9a-f]{32}$/, 'odd client ids replaced');
});

t.test('concurrent first logins make one master; account-level call_recording is validated', async (t) => {
  const api = await makeApi(t);
  const [x, y] = await Promise.all([api.login(BOOTSTRAP_KEY), api.login(BOOTSTRAP_KEY)]);
  t.equal(x.accountId, y.accountId);
  t.equal((await api.store.findBy('accounts', 'pvt_superduper_admin', true)).length, 1);

  const url = `/v2/accounts/${x.accountId}`;
  const before = await api.store.readAccount(x.accountId);
  const bad = await api.req('PATCH', url, x.token, { call_recording: { account: { inbound: { onnet: { enabled: 'on' } } }, endpoint: { outbound: { offnet: { format: 'flac' } } } } });
  t.equal(bad.status, 400);
  t.same(Object.keys(bad.body.data as object).sort(), ['call_recording.account.inbound.onnet.enabled', 'call_recording.endpoint.outbound.offnet.format']);
  t.same(await api.store.readAccount(x.accountId), before, 'nothing written');
  const misplaced = await api.req('PATCH', url, x.token, { call_recording: { inbound: { onnet: { enabled: true } } } });
  t.equal(misplaced.status, 400, 'an account keeps its rules under account/endpoint, as Kazoo');
  t.same(misplaced.body.data, { 'call_recording.inbound': { additionalProperties: { message: 'Strict checking of data is enabled; only include schema-defined properties' } } });
  const good = await api.req('PATCH', url, x.token, { call_recording: { account: { inbound: { onnet: { enabled: true, url: 'https://rec.example.com/' } } } } });
  t.equal(good.status, 200);
  t.same((await api.store.readAccount(x.accountId))['call_recording'], { account: { inbound: { onnet: { enabled: true, url: 'https://rec.example.com/' } } } });
});

t.test('two concurrent creations with one realm: exactly one account gets it', async (t) => {
  const api = await makeApi(t);
  const m = await api.login(BOOTSTRAP_KEY);
  const replies = await Promise.all(
    [1, 2, 3].map((i) => api.req('PUT', `/v2/accounts/${m.accountId}`, m.token, { name: `racer ${i}`, realm: 'race.example.com' })),
  );
  t.equal(replies.filter((r) => r.status === 201).length, 1, 'one winner');
  t.ok(replies.every((r) => [201, 400, 409].includes(r.status)), 'losers get 400 (unique) or 409 (conflict), never 500');
  t.equal((await api.store.listChildren(m.accountId)).length, 1);
});
