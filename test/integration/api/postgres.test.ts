/** The API over the PostgreSQL store: the same answers, and 503 (not 500) while PostgreSQL is down. */
import t from 'tap';
import { PostgresDocumentStore } from '../../../src/store';
import { startPostgres } from '../../helpers/postgres';
import { BOOTSTRAP_KEY, dataOf, makeApi } from './helpers';

t.test('API over PostgreSQL', async (t) => {
  const pg = await startPostgres(t);
  const store = await PostgresDocumentStore.open({ url: await pg.createDatabase(), pool: { connectTimeoutMs: 500 } });
  const api = await makeApi(t, store);
  const master = await api.login(BOOTSTRAP_KEY);

  const created = await api.req('PUT', `/v2/accounts/${master.accountId}`, master.token, { name: 'Acme', realm: 'acme.example.com' });
  t.equal(created.status, 201);
  const id = dataOf(created)['id'] as string;
  const dup = await api.req('PUT', `/v2/accounts/${master.accountId}`, master.token, { name: 'Dup', realm: 'ACME.example.com' });
  t.equal(dup.status, 400, 'realm uniqueness');
  const patched = await api.req('PATCH', `/v2/accounts/${id}`, master.token, { timezone: 'Europe/Paris' });
  t.match(patched.body.revision, /^2-/);
  const stale = await api.req('POST', `/v2/accounts/${id}`, master.token, { name: 'Stale' }, { 'if-match': created.body.revision as string });
  t.match(stale, { status: 409, body: { message: 'datastore_conflict' } }, 'stale If-Match is a conflict');
  const dev = await api.req('PUT', `/v2/accounts/${id}/devices`, master.token, { name: 'desk', sip: { username: '1001', password: 'secret-pw' } });
  t.equal(dev.status, 201);
  const list = await api.req('GET', `/v2/accounts/${id}/devices`, master.token);
  t.same((list.body.data as Array<{ name: string }>).map((d) => d.name), ['desk']);

  await pg.stop();
  const down = await api.req('GET', `/v2/accounts/${id}`, master.token);
  t.match(down, { status: 503, body: { error: '503', message: 'datastore_unreachable' } }, 'PostgreSQL down: 503 datastore_unreachable');
  await pg.start();
  const back = await api.req('GET', `/v2/accounts/${id}`, master.token);
  t.match(back, { status: 200, body: { data: { name: 'Acme', timezone: 'Europe/Paris' } } }, 'answers again once it is back');
});
