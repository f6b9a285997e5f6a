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
  rig = await startRig({ trunkRegistration: { expires: 300, retryMinMs: 100, retryMaxMs: 1000, timeoutSec: 5 } });
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
