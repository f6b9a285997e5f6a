import t from 'tap';
import { NetworkPolicy, parseCidr, parseIp, CidrSyntaxError } from '../../../src/delivery/netpolicy';

t.test('parseIp', (t) => {
  const table: Array<[string, string | null]> = [
    ['1.2.3.4', '4:01020304'],
    ['255.255.255.255', '4:ffffffff'],
    ['256.1.1.1', null],
    ['1.2.3', null],
    ['::1', '6:00000000000000000000000000000001'],
    ['::', '6:00000000000000000000000000000000'],
    ['fe80::1%eth0', '6:fe800000000000000000000000000001'],
    ['2001:db8::8:800:200c:417a', '6:20010db8000000000008080020 0c417a'.replace(' ', '')],
    ['::ffff:127.0.0.1', '4:7f000001'], // mapped: judged as IPv4
    ['::ffff:7f00:1', '4:7f000001'],
    ['64:ff9b::10.0.0.1', '6:0064ff9b00000000000000000a000001'],
    ['1:2:3:4:5:6:7:8:9', null],
    ['example.com', null],
  ];
  for (const [input, want] of table) {
    const p = parseIp(input);
    t.equal(p ? `${p.family}:${p.bytes.toString('hex')}` : null, want, input);
  }
  t.end();
});

t.test('parseCidr rejects junk', (t) => {
  for (const bad of ['10.0.0.0/33', '10.0.0.0/x', 'nope/8', '::/129', '']) t.throws(() => parseCidr(bad), CidrSyntaxError, bad);
  t.equal(parseCidr('10.1.2.3').prefix, 32);
  t.equal(parseCidr('::ffff:10.0.0.0/104').prefix, 8);
  t.end();
});

t.test('built-in policy: internal ranges denied, public allowed', (t) => {
  const p = new NetworkPolicy([], []);
  const table: Array<[string, boolean]> = [
    ['127.0.0.1', false],
    ['127.10.0.1', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['100.64.0.1', false],
    ['100.128.0.1', true],
    ['169.254.169.254', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['8.8.8.8', true],
    ['93.184.216.34', true],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fd00:ec2::254', false],
    ['fc00::1', false],
    ['::ffff:169.254.169.254', false],
    ['::ffff:8.8.8.8', true],
    ['2001:4860:4860::8888', true],
    ['not-an-ip', false],
  ];
  for (const [addr, allowed] of table) t.equal(p.check(addr).allowed, allowed, addr);
  t.match(p.check('169.254.169.254').rule, /169\.254\.0\.0\/16 \(built-in\)/);
  t.equal(p.check('8.8.8.8').rule, 'default-allow');
  t.end();
});

t.test('configured rules: longest prefix wins, deny wins ties, then built-ins', (t) => {
  const p = new NetworkPolicy(['127.0.0.1/32', '10.0.0.0/8', '::1/128'], ['10.9.0.0/16', '8.8.8.0/24', '10.0.0.0/8']);
  const table: Array<[string, boolean, string]> = [
    ['127.0.0.1', true, 'allow 127.0.0.1/32'],
    ['127.0.0.2', false, 'deny 127.0.0.0/8 (built-in)'],
    ['10.1.1.1', false, 'deny 10.0.0.0/8'], // same prefix in allow and deny: deny
    ['10.9.1.1', false, 'deny 10.9.0.0/16'],
    ['8.8.8.8', false, 'deny 8.8.8.0/24'],
    ['8.8.4.4', true, 'default-allow'],
    ['::1', true, 'allow ::1/128'],
    ['::ffff:127.0.0.1', true, 'allow 127.0.0.1/32'],
  ];
  for (const [addr, allowed, rule] of table) t.same(p.check(addr), { allowed, rule }, addr);
  const q = new NetworkPolicy(['10.0.0.0/8'], ['10.9.0.0/16']);
  t.same(q.check('10.1.1.1'), { allowed: true, rule: 'allow 10.0.0.0/8' });
  t.same(q.check('169.254.169.254').allowed, false);
  t.end();
});
