import t from 'tap';
import pino from 'pino';
import type Srf from 'drachtio-srf';
import { edgeSource, parseRealSource } from '../../../src/signalling/edge';

t.test('X-Real-Source values', async (t) => {
  const cases: [string, ReturnType<typeof parseRealSource>][] = [
    ['203.0.113.4;port=41234;transport=udp', { address: '203.0.113.4', port: 41234, transport: 'udp' }],
    [' 203.0.113.4 ; port=5070 ; transport=TCP ', { address: '203.0.113.4', port: 5070, transport: 'tcp' }],
    ['203.0.113.4', { address: '203.0.113.4', port: 5060, transport: 'udp' }],
    ['[2001:db8::1];port=5062;transport=udp', { address: '2001:db8::1', port: 5062, transport: 'udp' }],
    ['2001:db8::1;port=5062', { address: '2001:db8::1', port: 5062, transport: 'udp' }],
    ['phone.example;port=5060', undefined],
    ['203.0.113.4;port=0', undefined],
    ['203.0.113.4;port=70000', undefined],
    ['203.0.113.4;port=12a', undefined],
    ['203.0.113.4;port=5060;transport=carrier-pigeon', undefined],
    ['', undefined],
  ];
  for (const [value, want] of cases) t.same(parseRealSource(value), want, JSON.stringify(value));
});

type Req = Srf.SrfRequest & { source_port: number; protocol: string };

function request(source: string, headers: Record<string, string>): Req {
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    source_address: source, source_port: 5060, protocol: 'udp',
    has: (n: string) => h.has(n.toLowerCase()), get: (n: string) => h.get(n.toLowerCase()) ?? '',
  } as unknown as Req;
}

t.test('the real source is taken from the configured edges only', async (t) => {
  const mw = edgeSource({ addresses: ['10.0.0.1'], header: 'X-Real-Source', logger: pino({ level: 'silent' }) });
  const run = (req: Req): Req => {
    let passed = false;
    mw(req, {} as Srf.SrfResponse, () => { passed = true; });
    t.ok(passed, 'the request always goes on');
    return req;
  };
  t.match(run(request('10.0.0.1', { 'X-Real-Source': '203.0.113.4;port=41234;transport=tcp' })),
    { source_address: '203.0.113.4', source_port: 41234, protocol: 'tcp' }, 'from the edge: rewritten');
  t.match(run(request('198.51.100.7', { 'X-Real-Source': '203.0.113.4;port=41234' })),
    { source_address: '198.51.100.7', source_port: 5060 }, 'from anyone else: ignored (forgeable)');
  t.match(run(request('10.0.0.1', { 'X-Real-Source': 'nonsense' })), { source_address: '10.0.0.1' }, 'malformed: the edge stays the source');
  t.match(run(request('10.0.0.1', {})), { source_address: '10.0.0.1' }, 'the edge\'s own requests (no header) keep its address');
  const none = edgeSource({ addresses: [], header: 'X-Real-Source', logger: pino({ level: 'silent' }) });
  const req = request('10.0.0.1', { 'X-Real-Source': '203.0.113.4;port=1' });
  none(req, {} as Srf.SrfResponse, () => undefined);
  t.equal(req.source_address, '10.0.0.1', 'no edge configured: never rewritten');
});
