import t from 'tap';
import { startTestService } from '../../helpers/service';
import { freePort } from '../../helpers/ports';
import { startSipp } from '../../helpers/sipp';

/**
 * Issue 3 item 5 through the whole service: a resource created through the API that asks for
 * registration is registered to its provider (a SIPp UAS challenging with digest), and the
 * state is visible at GET /v2/accounts/{id}/resources/registrations — to the owning account only.
 */

interface Envelope<T> { status: string; data: T; auth_token?: string }

async function api<T>(url: string, method: string, token: string | undefined, body?: unknown): Promise<{ status: number; json: Envelope<T> }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify({ data: body }) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: (await res.json()) as Envelope<T> };
}

t.test('resource registration state is served by the API', async (t) => {
  const svc = await startTestService();
  t.teardown(() => svc.close());
  const providerPort = await freePort();
  const provider = startSipp({ scenario: 'register_auth_provider.xml', localPort: providerPort, args: ['-m', '1'], timeoutMs: 40_000 });
  t.teardown(() => provider.stop());

  const login = await api<{ account_id: string }>(`${svc.apiUrl}/v2/api_auth`, 'PUT', undefined, { api_key: 'test-bootstrap-key' });
  const token = login.json.auth_token;
  const master = login.json.data.account_id;
  const acct = await api<{ id: string }>(`${svc.apiUrl}/v2/accounts/${master}`, 'PUT', token, { name: 'trunky', realm: 'trunky.test' });
  t.equal(acct.status, 201, 'child account created');
  const accountId = acct.json.data.id;
  const sibling = await api<{ id: string }>(`${svc.apiUrl}/v2/accounts/${master}`, 'PUT', token, { name: 'other', realm: 'other.test' });
  const res = await api<{ id: string }>(`${svc.apiUrl}/v2/accounts/${accountId}/resources`, 'PUT', token, {
    name: 'provider', rules: ['^\\+1'],
    gateways: [{ server: '127.0.0.1', port: providerPort, realm: 'provider.test', username: 'trunkuser', password: 'trunkpass', register: true }],
  });
  t.equal(res.status, 201, 'resource created');

  // The registrar resyncs with the store periodically; ask for it now rather than wait.
  const registrar = svc.service.signalling?.trunkRegistrations;
  t.ok(registrar, 'trunk registrar running');
  await registrar?.sync();

  const result = await provider.done;
  t.equal(result.stats?.successful, 1, `provider saw 503, challenge, 200, refresh challenge, 200 ${result.errors}`);

  const view = await api<Array<{ resource_id: string; state: string; server: string; last_status?: number }>>(
    `${svc.apiUrl}/v2/accounts/${accountId}/resources/registrations`, 'GET', token);
  t.equal(view.status, 200);
  t.equal(view.json.data.length, 1, 'one gateway registers');
  t.equal(view.json.data[0]?.resource_id, res.json.data.id);
  t.equal(view.json.data[0]?.state, 'registered');
  t.equal(view.json.data[0]?.last_status, 200);

  const other = await api<unknown[]>(`${svc.apiUrl}/v2/accounts/${sibling.json.data.id}/resources/registrations`, 'GET', token);
  t.same(other.json.data, [], 'another account sees none of it');
  const anon = await fetch(`${svc.apiUrl}/v2/accounts/${accountId}/resources/registrations`, { signal: AbortSignal.timeout(10_000) });
  t.equal(anon.status, 401, 'no token, no data');
});
