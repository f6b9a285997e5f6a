import t from 'tap';
import type { Binding } from '../../../src/signalling/registrar/bindings';
import { routeTargets, toView } from '../../../src/signalling/registrar/registrations';

const b = (contact: string, o: Partial<Binding> = {}): Binding => ({
  aor: '1001@a.test', contact, key: contact, callId: 'cid', cseq: 2, expiresAt: 100_000, registeredAt: 10_000, updatedAt: 10_000,
  received: { address: '203.0.113.4', port: 41234, transport: 'udp' }, accountId: 'A', deviceId: 'd1', username: '1001', realm: 'a.test', ...o,
});

t.test('Kazoo registration view', async (t) => {
  t.same(toView(b('sip:1001@192.168.1.2:5060', { ownerId: 'u1', userAgent: 'Phone/1', instanceId: 'urn:uuid:1' }), 40_000), {
    account_id: 'A', authorizing_id: 'd1', authorizing_type: 'device', owner_id: 'u1', username: '1001', realm: 'a.test',
    to_user: '1001', to_host: 'a.test', call_id: 'cid', contact: '<sip:1001@192.168.1.2:5060>', expires: 60, event_timestamp: 10,
    source_ip: '203.0.113.4', source_port: 41234, transport: 'udp', user_agent: 'Phone/1', instance_id: 'urn:uuid:1',
  });
});

t.test('route targets go through the received address (NAT), by q then most recent', async (t) => {
  const got = routeTargets([
    b('sip:1001@192.168.1.2', { updatedAt: 1 }),
    b('sip:1001@192.168.1.3', { updatedAt: 2, received: { address: '198.51.100.1', port: 5070, transport: 'tcp' } }),
    b('sip:1001@192.168.1.4', { updatedAt: 0, q: 0.1 }),
  ]);
  t.same(got, [
    { uri: 'sip:1001@192.168.1.3', proxy: 'sip:198.51.100.1:5070;transport=tcp', deviceId: 'd1' },
    { uri: 'sip:1001@192.168.1.2', proxy: 'sip:203.0.113.4:41234;transport=udp', deviceId: 'd1' },
    { uri: 'sip:1001@192.168.1.4', proxy: 'sip:203.0.113.4:41234;transport=udp', deviceId: 'd1', q: 0.1 },
  ]);
});

t.test('a contact registered through edge proxies goes out through its Path (RFC 3327 6)', async (t) => {
  const path = ['<sip:10.0.0.1:5060;lr;received=sip:203.0.113.4:41234>', '<sip:10.0.0.9;lr;transport=tcp>'];
  t.same(routeTargets([b('sip:1001@192.168.1.2', { path })]), [{
    uri: 'sip:1001@192.168.1.2', proxy: 'sip:10.0.0.1:5060', route: `${path[0]}, ${path[1]}`, deviceId: 'd1',
  }], 'sent to the first Path URI, the whole Path as the Route set');
  t.same(routeTargets([b('sip:1001@192.168.1.2', { path: ['<sip:edge.example;transport=tcp;lr>'] })])[0]?.proxy,
    'sip:edge.example;transport=tcp', 'the transport of the first hop is kept');
});
