/**
 * The whole service on the PostgreSQL store: a phone registers (directory look-ups in
 * PostgreSQL), the API answers; PostgreSQL stopped: REGISTER refused and API 503, the service
 * keeps running and recovers by itself; a restart finds the documents.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ServiceState } from '../../../src/service';
import { startPostgres } from '../../helpers/postgres';
import { freePort } from '../../helpers/ports';
import { startTestService } from '../../helpers/service';
import { runSipp } from '../../helpers/sipp';
import { csv } from '../signalling/setup';

const REALM = 'pg.test';

t.test('service with store.driver postgres', async (t) => {
  const pg = await startPostgres(t);
  const dir = mkdtempSync(join(tmpdir(), 'pg-svc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let svc = await startTestService({ config: { store: { driver: 'postgres', url: await pg.createDatabase(), pool: { connectTimeoutMs: 1000 } } } });
  t.teardown(() => svc.close());
  const api = async (method: string, path: string, token?: string, data?: object): Promise<{ status: number; body: { data?: unknown; auth_token?: string; message?: string } }> => {
    const res = await fetch(`${svc.apiUrl}${path}`, {
      method, signal: AbortSignal.timeout(10_000),
      headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
      ...(data ? { body: JSON.stringify({ data }) } : {}),
    });
    return { status: res.status, body: (await res.json()) as { data?: unknown; auth_token?: string; message?: string } };
  };
  const login = await api('PUT', '/v2/api_auth', undefined, { api_key: 'test-bootstrap-key' });
  const token = login.body.auth_token ?? '';
  const master = (login.body.data as { account_id: string }).account_id;
  const acct = await svc.store.createAccount(master, { name: 'pg', realm: REALM });
  await svc.store.create('devices', acct._id, { name: 'phone', sip: { username: '1001', password: 'pw-1001' } });
  const phonePort = await freePort();
  const register = async (): Promise<number | null> =>
    (await runSipp({
      scenario: 'phone-register.xml', remote: svc.sipTarget, localPort: phonePort, timeoutMs: 20_000,
      args: ['-m', '1', '-inf', csv(dir, 'phone.csv', [['1001', REALM, 'pw-1001', '', '0']]), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', REALM],
    })).code;

  t.equal(await register(), 0, 'REGISTER authenticated against the device in PostgreSQL');
  const regs = await api('GET', `/v2/accounts/${acct._id}/registrations`, token);
  t.match(regs, { status: 200, body: { data: [{ username: '1001' }] } }, 'registration listed (bindings in memory with this driver)');

  await pg.stop();
  t.not(await register(), 0, 'PostgreSQL down: the REGISTER is refused');
  t.match(await api('GET', `/v2/accounts/${acct._id}`, token), { status: 503, body: { message: 'datastore_unreachable' } }, 'API 503');
  t.equal(svc.service.state, ServiceState.Running, 'the service keeps running');
  const metrics = await (await fetch(`${svc.apiUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  t.match(metrics, /^b2bua_store_unavailable_total [1-9]/m, 'failures counted in b2bua_store_unavailable_total');
  t.match(metrics, /^b2bua_store_pool_connections\{state="waiting"\} \d+/m, 'pool exported');
  await pg.start();
  t.equal(await register(), 0, 'PostgreSQL back: REGISTER works again without a restart');
  t.equal((await api('GET', `/v2/accounts/${acct._id}`, token)).status, 200);

  svc = await svc.restart();
  t.equal((await svc.store.readAccount(acct._id))['name'], 'pg', 'documents kept across a restart');
});
