import t from 'tap';
import { asMaster, dataOf, makeApi } from './helpers';

const PASSWORD = 'correct horse battery';

t.test('user_auth: an admin user logs in with username, password and account; secrets never shown', async (t) => {
  const api = await makeApi(t);
  const m = await asMaster(api);
  const acme = await m.mk(m.master.accountId, 'acme');
  const other = await m.mk(m.master.accountId, 'other');
  const users = `/v2/accounts/${acme}/users`;

  const short = await api.req('PUT', users, m.master.token, { first_name: 'A', last_name: 'B', username: 'ann', password: 'short' });
  t.equal(short.status, 400);
  t.match(short.body.data, { password: { minLength: {} } }, 'a password under 8 characters is a field error');

  const made = await api.req('PUT', users, m.master.token, { first_name: 'Ann', last_name: 'Admin', username: 'ann', password: PASSWORD, priv_level: 'admin' });
  t.equal(made.status, 201);
  const annId = dataOf(made)['id'] as string;
  const shown = JSON.stringify([made.body, (await api.req('GET', `${users}/${annId}`, m.master.token)).body, (await api.req('GET', users, m.master.token)).body]);
  t.notOk(shown.includes(PASSWORD), 'the password is not echoed');
  t.notOk(shown.includes('scrypt') || shown.includes('password'), 'neither the password nor its hash is shown');
  const stored = (await api.store.read('users', annId))['pvt_password_hash'];
  t.match(stored, /^scrypt\$16384\$8\$1\$/, 'stored as a scrypt hash');

  await api.req('PUT', users, m.master.token, { first_name: 'Uma', last_name: 'User', username: 'uma', password: PASSWORD });

  const ok = await api.req('PUT', '/v2/user_auth', undefined, { username: 'ann', password: PASSWORD, account_realm: 'acme.example.com' });
  t.equal(ok.status, 201);
  t.match(dataOf(ok), { account_id: acme, owner_id: annId, account_name: 'acme' });
  t.equal((await api.req('GET', `/v2/accounts/${acme}`, ok.body.auth_token)).status, 200, 'the token reads its account');
  t.equal((await api.req('GET', `/v2/accounts/${other}`, ok.body.auth_token)).status, 403, 'and not a sibling');
  const byName = await api.req('PUT', '/v2/user_auth', undefined, { username: 'ann', password: PASSWORD, account_name: 'acme' });
  t.equal(byName.status, 201, 'the account may be named by name');

  // A PATCH without the password keeps it; a new password replaces it.
  t.equal((await api.req('PATCH', `${users}/${annId}`, m.master.token, { first_name: 'Anne' })).status, 200);
  t.equal((await api.req('PUT', '/v2/user_auth', undefined, { username: 'ann', password: PASSWORD, account_name: 'acme' })).status, 201, 'kept across a PATCH');
  t.equal((await api.req('PATCH', `${users}/${annId}`, m.master.token, { password: 'a new passphrase' })).status, 200);
  t.equal((await api.req('PUT', '/v2/user_auth', undefined, { username: 'ann', password: 'a new passphrase', account_name: 'acme' })).status, 201, 'changed by a PATCH');

  const cases: Array<[string, Record<string, string>, number]> = [
    ['wrong password', { username: 'ann', password: PASSWORD, account_name: 'acme' }, 401],
    ['unknown user', { username: 'nobody', password: PASSWORD, account_name: 'acme' }, 401],
    ['user of another account', { username: 'ann', password: 'a new passphrase', account_name: 'other' }, 401],
    ['unknown account', { username: 'ann', password: 'a new passphrase', account_realm: 'nowhere.example.com' }, 401],
    ['a user who is not an admin', { username: 'uma', password: PASSWORD, account_name: 'acme' }, 403],
  ];
  for (const [name, data, status] of cases) {
    const r = await api.req('PUT', '/v2/user_auth', undefined, data);
    t.equal(r.status, status, name);
    t.notOk(r.body.auth_token, `${name}: no token`);
  }
  const noAccount = await api.req('PUT', '/v2/user_auth', undefined, { username: 'ann', password: PASSWORD });
  t.equal(noAccount.status, 400);
  t.match(noAccount.body.data, { account_name: { required: {} } });
});

t.test('user_auth: wrong passwords count towards the same per-address limit as api_auth', async (t) => {
  const api = await makeApi(t);
  const m = await asMaster(api);
  const acme = await m.mk(m.master.accountId, 'acme');
  await api.req('PUT', `/v2/accounts/${acme}/users`, m.master.token, { first_name: 'A', last_name: 'B', username: 'ann', password: PASSWORD, priv_level: 'admin' });
  const attempt = (password: string) => api.req('PUT', '/v2/user_auth', undefined, { username: 'ann', password, account_name: 'acme' });
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await attempt(`guess-${i}-xx`)).status);
  t.same(statuses, Array(10).fill(401), 'ten guesses refused');
  t.equal((await attempt(PASSWORD)).status, 429, 'then even the right password waits');
  t.equal((await api.req('PUT', '/v2/api_auth', undefined, { api_key: await m.keyOf(acme) })).status, 429, 'and so does api_auth from that address');
});
