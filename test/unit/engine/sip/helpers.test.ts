import t from 'tap';
import {
  parseUri, formatUri, parseNameAddr, parseVia, parseCSeq, getHeaderParam, setHeaderParam, Headers, splitList,
  createResponse, newBranch, newTag, newCallId, SipRequest, MAGIC_COOKIE, nextHop,
} from '../../../../src/engine/sip';

t.test('parseUri table', async (t) => {
  const cases: [string, ReturnType<typeof parseUri>][] = [
    ['sip:alice@example.com', { scheme: 'sip', user: 'alice', password: undefined, host: 'example.com', port: undefined, params: {}, headers: undefined }],
    ['sip:alice:pw@10.0.0.1:5070;transport=tcp;lr', { scheme: 'sip', user: 'alice', password: 'pw', host: '10.0.0.1', port: 5070, params: { transport: 'tcp', lr: null }, headers: undefined }],
    ['sips:[2001:db8::1]:5061', { scheme: 'sips', user: undefined, password: undefined, host: '2001:db8::1', port: 5061, params: {}, headers: undefined }],
    ['SIP:bob@h?subject=x', { scheme: 'sip', user: 'bob', password: undefined, host: 'h', port: undefined, params: {}, headers: 'subject=x' }],
    ['tel:+15551234;phone-context=x', { scheme: 'tel', host: '+15551234', params: { 'phone-context': 'x' }, headers: undefined }],
    ['sip:host:99999', null],
    ['sip:', null],
    ['nocolon', null],
    ['sip:[::1', null],
    ['sip:a b@host', null],
  ];
  for (const [input, want] of cases) t.same(parseUri(input), want, input);
  const u = parseUri('sip:a@[::1]:5060;transport=udp');
  t.equal(u && formatUri(u), 'sip:a@[::1]:5060;transport=udp');
});

t.test('parseNameAddr table', async (t) => {
  const cases: [string, ReturnType<typeof parseNameAddr>][] = [
    ['"Alice, A." <sip:alice@x>;tag=abc', { displayName: 'Alice, A.', uri: 'sip:alice@x', params: { tag: 'abc' }, tag: 'abc' }],
    ['Bob <sip:bob@y;transport=tcp>;expires=60', { displayName: 'Bob', uri: 'sip:bob@y;transport=tcp', params: { expires: '60' }, tag: undefined }],
    ['sip:carol@z;tag=t1', { displayName: undefined, uri: 'sip:carol@z', params: { tag: 't1' }, tag: 't1' }],
    ['<sip:d@w>', { displayName: undefined, uri: 'sip:d@w', params: {}, tag: undefined }],
    ['"q\\"uote" <sip:e@v>', { displayName: 'q"uote', uri: 'sip:e@v', params: {}, tag: undefined }],
    ['*', { uri: '*', params: {} }],
    ['<sip:unclosed', null],
    ['"unterminated <sip:x@y>', null],
    ['', null],
  ];
  for (const [input, want] of cases) t.same(parseNameAddr(input), want, input);
});

t.test('parseVia table', async (t) => {
  const cases: [string, ReturnType<typeof parseVia>][] = [
    ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport', { protocol: 'SIP/2.0', transport: 'UDP', host: '10.0.0.1', port: 5060, params: { branch: 'z9hG4bK1', rport: null }, branch: 'z9hG4bK1', rport: null }],
    ['SIP / 2.0 / tcp host.example;received=1.2.3.4;rport=1234;branch=z9hG4bKx', { protocol: 'SIP/2.0', transport: 'TCP', host: 'host.example', port: undefined, params: { received: '1.2.3.4', rport: '1234', branch: 'z9hG4bKx' }, branch: 'z9hG4bKx', received: '1.2.3.4', rport: 1234 }],
    ['SIP/2.0/UDP [2001:db8::9]:5062;branch=z9hG4bK2', { protocol: 'SIP/2.0', transport: 'UDP', host: '2001:db8::9', port: 5062, params: { branch: 'z9hG4bK2' }, branch: 'z9hG4bK2' }],
    ['SIP/2.0/UDP', null],
    ['HTTP/1.1/TCP a', null],
    ['SIP/2.0/UDP a;rport=x', null],
  ];
  for (const [input, want] of cases) t.same(parseVia(input), want, input);
});

t.test('parseCSeq table', async (t) => {
  const cases: [string, ReturnType<typeof parseCSeq>][] = [
    ['1 INVITE', { seq: 1, method: 'INVITE' }],
    ['  2147483647   BYE ', { seq: 2147483647, method: 'BYE' }],
    ['2147483648 BYE', null],
    ['INVITE', null],
    ['1', null],
    ['1 IN VITE', null],
  ];
  for (const [input, want] of cases) t.same(parseCSeq(input), want, input);
});

t.test('header params get/set', async (t) => {
  t.equal(getHeaderParam('<sip:a@b;tag=uri>;tag=hdr', 'tag'), 'hdr', 'URI params are not header params');
  t.equal(getHeaderParam('sip:a@b;tag=x', 'TAG'), 'x', 'addr-spec params belong to the header');
  t.equal(getHeaderParam('SIP/2.0/UDP h;rport;branch=z', 'rport'), null);
  t.equal(getHeaderParam('<sip:a@b>', 'tag'), undefined);
  t.equal(setHeaderParam('<sip:a@b;lr>', 'tag', 'x'), '<sip:a@b;lr>;tag=x');
  t.equal(setHeaderParam('SIP/2.0/UDP h;rport;branch=z', 'rport', '5'), 'SIP/2.0/UDP h;rport=5;branch=z');
  t.equal(setHeaderParam('"A;b" <sip:a@b>;tag=1;x=2', 'tag', undefined), '"A;b" <sip:a@b>;x=2');
});

t.test('Headers operations', async (t) => {
  const h = new Headers([['Via', 'v1, v2'], ['Route', '<sip:r1;lr>'], ['Via', 'v3'], ['X-A', '1']]);
  t.same(h.getAll('v'), ['v1', 'v2', 'v3']);
  t.equal(h.get('VIA'), 'v1');
  h.prepend('Via', 'v0');
  t.same(h.getAll('via'), ['v0', 'v1', 'v2', 'v3']);
  t.equal(h.removeFirst('via'), 'v0');
  t.equal(h.removeFirst('via'), 'v1');
  t.same(h.getAll('via'), ['v2', 'v3']);
  h.replaceFirst('via', 'v2b');
  t.same(h.getAll('via'), ['v2b', 'v3']);
  h.set('x-a', '2');
  t.same(h.getAll('X-A'), ['2']);
  h.append('X-A', '3');
  t.same(h.getAll('x-a'), ['2', '3'], 'non-list headers are not split');
  t.equal(h.remove('x-a'), 2);
  t.notOk(h.has('X-A'));
  t.same(h.entries().map((e) => e.name), ['Via', 'Route', 'Via']);
  t.same(splitList('"a,b" <sip:x,y>, c'), ['"a,b" <sip:x,y>', 'c']);
});

t.test('createResponse and ids', async (t) => {
  const req = new SipRequest('INVITE', 'sip:b@h', [
    ['Via', 'SIP/2.0/UDP a:1;branch=z9hG4bK1'], ['Via', 'SIP/2.0/UDP b:2;branch=z9hG4bK2'], ['From', '<sip:a@h>;tag=f'],
    ['To', '<sip:b@h>'], ['Call-ID', 'c1'], ['CSeq', '7 INVITE'], ['Contact', '<sip:a@1.1.1.1>'],
  ]);
  const trying = createResponse(req, 100);
  t.equal(trying.reason, 'Trying');
  t.equal(trying.get('to'), '<sip:b@h>', 'no tag on 100');
  const ok = createResponse(req, 200, undefined, 'tt');
  t.equal(ok.get('to'), '<sip:b@h>;tag=tt');
  t.same(ok.headers.getAll('via'), ['SIP/2.0/UDP a:1;branch=z9hG4bK1', 'SIP/2.0/UDP b:2;branch=z9hG4bK2']);
  t.equal(ok.get('cseq'), '7 INVITE');
  t.equal(ok.get('contact'), undefined, 'Contact not copied');
  t.match(createResponse(req, 486).get('to'), /;tag=[0-9a-f]{16}$/);
  const b = newBranch();
  t.ok(b.startsWith(MAGIC_COOKIE) && b.length === 31, b);
  t.not(newBranch(), newBranch());
  t.match(newTag(), /^[0-9a-f]{16}$/);
  t.match(newCallId(), /^[0-9a-f]{32}$/);
});

t.test('nextHop table (RFC 3261 8.1.2: loose Route first, else Request-URI)', async (t) => {
  const mk = (uri: string, route?: string): SipRequest => new SipRequest('INVITE', uri, route ? [['Route', route]] : []);
  const cases: [SipRequest, ReturnType<typeof nextHop> | string][] = [
    [mk('sip:bob@10.0.0.1'), { transport: 'udp', host: '10.0.0.1', port: 5060 }],
    [mk('sip:bob@10.0.0.1:5070;transport=TCP'), { transport: 'tcp', host: '10.0.0.1', port: 5070 }],
    [mk('sip:bob@example.com;maddr=10.9.9.9'), { transport: 'udp', host: '10.9.9.9', port: 5060 }],
    [mk('sip:bob@10.0.0.1', '<sip:proxy.example:5080;lr;transport=tcp>, <sip:other;lr>'), { transport: 'tcp', host: 'proxy.example', port: 5080 }],
    [mk('sip:bob@10.0.0.1', '<sip:strict.example>'), { transport: 'udp', host: '10.0.0.1', port: 5060 }],
    [mk('sip:bob@[2001:db8::1]:5062'), { transport: 'udp', host: '2001:db8::1', port: 5062 }],
    // RFC 3261 26.2.2 / 19.1.2: sips: is TLS whatever the transport parameter says, default port 5061.
    [mk('sips:bob@10.0.0.1'), { transport: 'tls', host: '10.0.0.1', port: 5061 }],
    [mk('sips:bob@10.0.0.1:5071;transport=tcp'), { transport: 'tls', host: '10.0.0.1', port: 5071 }],
    [mk('sip:bob@10.0.0.1;transport=TLS'), { transport: 'tls', host: '10.0.0.1', port: 5061 }],
    [mk('sip:bob@10.0.0.1', '<sips:edge.example;lr>'), { transport: 'tls', host: 'edge.example', port: 5061 }],
    [mk('sip:bob@10.0.0.1;transport=sctp'), 'ERR_SIP_NO_TRANSPORT'],
    [mk('tel:+1555'), 'ERR_SIP_RESOLVE'],
  ];
  for (const [req, want] of cases) {
    const got = nextHop(req);
    if (typeof want === 'string') t.equal(got instanceof Error ? (got as Error & { code: string }).code : got, want, req.uri);
    else t.same(got, want, `${req.uri} ${req.get('route') ?? ''}`);
  }
});
