/**
 * Outbound registration to a provider: SIPp plays the provider's registrar (503 first, then a
 * digest challenge, a short grant, a refresh). The B2BUA must retry after the 503, answer the
 * challenge, and refresh before the grant runs out.
 */
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { startSipp } from '../../helpers/sipp';
import { RegState } from '../../../src/signalling';
import { startRig, waitFor, type Rig } from './setup';

let rig: Rig;
t.before(async () => {
  rig = await startRig({ trunkRegistration: { expires: 300, retryMinMs: 1000, retryMaxMs: 5000, timeoutSec: 5 } });
});
t.teardown(() => rig.close());

t.test('registers to a provider with digest, retries after 503, refreshes', async (t) => {
  const providerPort = await freePort();
  const provider = startSipp({ scenario: 'register_auth_provider.xml', localPort: providerPort, args: ['-m', '1'], timeoutMs: 40000 });
  rig.directory.resources.push({
    id: 'res-p', account_id: 'acc-a', rules: ['^\\+1'],
    gateways: [
      { server: '127.0.0.1', port: providerPort, realm: 'provider.test', username: 'trunkuser', password: 'trunkpass', register: true },
      { server: '192.0.2.10', username: 'x', password: 'y' },
    ],
  });
  const reg = await rig.signalling.startTrunkRegistrations(rig.srf, 0);
  t.equal(reg.status().length, 1, 'only the gateway asking for registration is registered');

  const result = await provider.done;
  t.equal(result.stats?.successful, 1, `provider saw 503, challenge, 200, refresh challenge, 200 ${result.errors}`);
  t.equal(result.stats?.failed, 0);

  t.ok(await waitFor(() => reg.status()[0]?.last_status === 200 && reg.status()[0]?.state === RegState.Registered), 'registered');
  const s = reg.status()[0];
  t.match(s, { resource_id: 'res-p', account_id: 'acc-a', gateway: 0, server: '127.0.0.1', username: 'trunkuser', state: RegState.Registered, failures: 0 });
  t.ok((s.registered_until ?? 0) > Date.now() + 50_000, 'the refresh got the 60 s grant');
  t.same(reg.statusOfAccount('acc-b'), []);

  // Removing the resource stops its registration.
  rig.directory.resources.length = 0;
  await reg.sync();
  t.same(reg.status(), [], 'removed resource is no longer registered');
});

t.test('423 from the provider raises the interval; refused credentials fail with backoff', async (t) => {
  const p423 = await freePort();
  const pRej = await freePort();
  const prov423 = startSipp({ scenario: 'register_auth_provider_423.xml', localPort: p423, args: ['-m', '1'], timeoutMs: 30000 });
  const provRej = startSipp({ scenario: 'register_auth_provider_reject.xml', localPort: pRej, args: ['-m', '1'], timeoutMs: 30000 });
  rig.directory.resources.push(
    { id: 'res-423', account_id: 'acc-a', rules: [], gateways: [{ server: '127.0.0.1', port: p423, realm: 'provider.test', username: 'trunkuser', password: 'trunkpass', register: true }] },
    { id: 'res-rej', account_id: 'acc-b', rules: [], gateways: [{ server: '127.0.0.1', port: pRej, realm: 'provider.test', username: 'trunkuser', password: 'wrong', register: true }] },
  );
  const reg = await rig.signalling.startTrunkRegistrations(rig.srf, 0);
  await reg.sync();
  const [r423, rRej] = await Promise.all([prov423.done, provRej.done]);
  t.equal(r423.stats?.successful, 1, `423 provider scenario passed ${r423.errors}`);
  t.equal(rRej.stats?.successful, 1, `rejecting provider scenario passed ${rRej.errors}`);
  const byId = (id: string) => reg.status().find((s) => s.resource_id === id);
  t.ok(await waitFor(() => byId('res-423')?.state === RegState.Registered), 'registered after raising the interval');
  t.ok((byId('res-423')?.registered_until ?? 0) > Date.now() + 7000_000, 'granted 7200 s');
  t.ok(await waitFor(() => byId('res-rej')?.last_status === 403), 'refused');
  t.match(byId('res-rej'), { state: RegState.Failed, failures: 1 });
  t.ok((byId('res-rej')?.next_attempt_at ?? 0) > Date.now() - 1000, 'a retry is scheduled');
  rig.directory.resources.length = 0;
  await reg.sync();
});
