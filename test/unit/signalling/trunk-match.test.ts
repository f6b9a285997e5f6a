import t from 'tap';
import { rankTrunks, trunkMatch, TrunkMatch } from '../../../src/signalling/auth/trunk-match';
import type { ResourceInfo } from '../../../src/directory/types';

const r = (id: string, o: Partial<ResourceInfo>): ResourceInfo => ({ id, account_id: 'A', rules: [], gateways: [], ...o });

t.test('trunk match strength', async (t) => {
  const rows: [string, ResourceInfo, string, number, TrunkMatch][] = [
    ['gateway ip, no port', r('a', { gateways: [{ server: '192.0.2.1' }] }), '192.0.2.1', 5060, TrunkMatch.Address],
    ['gateway ip and port', r('b', { gateways: [{ server: '192.0.2.1', port: 5080 }] }), '192.0.2.1', 5080, TrunkMatch.AddressAndPort],
    ['gateway ip, other port', r('c', { gateways: [{ server: '192.0.2.1', port: 5080 }] }), '192.0.2.1', 5060, TrunkMatch.Address],
    ['inbound ip', r('d', { inbound_ips: ['192.0.2.9'] }), '192.0.2.9', 1234, TrunkMatch.Address],
    ['inbound ip:port', r('e', { inbound_ips: ['192.0.2.9:1234'] }), '192.0.2.9', 1234, TrunkMatch.AddressAndPort],
    ['inbound ip:port, other port', r('f', { inbound_ips: ['192.0.2.9:1234'] }), '192.0.2.9', 1235, TrunkMatch.None],
    ['other ip', r('g', { gateways: [{ server: '192.0.2.1' }] }), '192.0.2.2', 5060, TrunkMatch.None],
    ['disabled resource', r('h', { enabled: false, gateways: [{ server: '192.0.2.1' }] }), '192.0.2.1', 5060, TrunkMatch.None],
    ['disabled gateway', r('i', { gateways: [{ server: '192.0.2.1', enabled: false }] }), '192.0.2.1', 5060, TrunkMatch.None],
  ];
  for (const [name, res, ip, port, want] of rows) t.equal(trunkMatch(res, ip, port), want, name);
});

t.test('ranking deduplicates and splits', async (t) => {
  const a = r('a', { gateways: [{ server: '10.0.0.1' }] });
  const b = r('b', { inbound_ips: ['10.0.0.1:7000'] });
  const got = rankTrunks([b, a, b, a], '10.0.0.1', 7000);
  t.same([got.exact.map((x) => x.id), got.address.map((x) => x.id)], [['b'], ['a']]);
});
