import t from 'tap';
import {
  parseMessage, serialize, serializeText, ParseErrorCode, SipRequest, SipResponse, isRequest, Headers, SipHeaderError, SipSerializeError,
} from '../../../../src/engine/sip';

const LIMITS = { maxMessageBytes: 4096, maxHeaders: 20 };

function msg(lines: string[], body = ''): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body);
}

const BASE = [
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport',
  'From: "Alice" <sip:alice@example.com>;tag=f1',
  'To: <sip:bob@example.com>',
  'Call-ID: cid-1@10.0.0.1',
  'CSeq: 1 INVITE',
  'Max-Forwards: 70',
];

t.test('valid messages', async (t) => {
  const cases: { name: string; buf: Buffer; check: (m: SipRequest | SipResponse) => void }[] = [
    {
      name: 'INVITE with SDP body and Content-Length',
      buf: msg(['INVITE sip:bob@example.com SIP/2.0', ...BASE, 'Content-Type: application/sdp', 'Content-Length: 4'], 'v=0\n'),
      check: (m) => {
        t.ok(isRequest(m));
        const r = m as SipRequest;
        t.equal(r.method, 'INVITE');
        t.equal(r.uri, 'sip:bob@example.com');
        t.equal(r.body.toString(), 'v=0\n');
        t.equal(r.get('CALL-ID'), 'cid-1@10.0.0.1');
      },
    },
    {
      name: 'compact header forms',
      buf: msg(['OPTIONS sip:x@y SIP/2.0', 'v: SIP/2.0/TCP h:1;branch=z9hG4bK1', 'f: <sip:a@b>;tag=1', 't: sip:c@d', 'i: abc', 'CSeq: 2 OPTIONS', 'm: <sip:a@1.2.3.4>', 'l: 0']),
      check: (m) => {
        t.equal(m.get('Via'), 'SIP/2.0/TCP h:1;branch=z9hG4bK1');
        t.equal(m.get('call-id'), 'abc');
        t.equal(m.get('Contact'), '<sip:a@1.2.3.4>');
        t.equal(m.get('To'), 'sip:c@d');
        t.equal(m.headers.entries()[0].name, 'v', 'original name kept for serialization');
      },
    },
    {
      name: 'folded header line is unfolded',
      buf: msg(['BYE sip:x@y SIP/2.0', ...BASE.map((l) => l.replace('1 INVITE', '2 BYE')), 'Subject: first', '  second part']),
      check: (m) => t.equal(m.get('subject'), 'first second part'),
    },
    {
      name: 'several Via values in one header line and Record-Route lists',
      buf: msg(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2;branch=z9hG4bK2', 'Via: SIP/2.0/UDP c:3;branch=z9hG4bK3',
        'Record-Route: <sip:p1;lr>, "Proxy, Two" <sip:p2;lr>', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'Call-ID: x', 'CSeq: 1 INVITE']),
      check: (m) => {
        const r = m as SipResponse;
        t.equal(r.status, 200);
        t.equal(r.reason, 'OK');
        t.same(r.headers.getAll('via'), ['SIP/2.0/UDP a:1;branch=z9hG4bK1', 'SIP/2.0/UDP b:2;branch=z9hG4bK2', 'SIP/2.0/UDP c:3;branch=z9hG4bK3']);
        t.equal(r.get('via'), 'SIP/2.0/UDP a:1;branch=z9hG4bK1');
        t.same(r.headers.getAll('record-route'), ['<sip:p1;lr>', '"Proxy, Two" <sip:p2;lr>']);
      },
    },
    {
      name: 'IPv6 hosts in Request-URI and Via',
      buf: msg(['REGISTER sip:[2001:db8::1]:5070 SIP/2.0', 'Via: SIP/2.0/UDP [2001:db8::2]:5060;branch=z9hG4bKv6', 'From: <sip:a@[2001:db8::2]>;tag=1', 'To: <sip:a@[2001:db8::2]>', 'Call-ID: v6', 'CSeq: 1 REGISTER']),
      check: (m) => t.equal((m as SipRequest).uri, 'sip:[2001:db8::1]:5070'),
    },
    {
      name: 'missing Max-Forwards accepted (as drachtio-server does)',
      buf: msg(['MESSAGE sip:x@y SIP/2.0', ...BASE.filter((l) => !l.startsWith('Max')).map((l) => l.replace('1 INVITE', '1 MESSAGE'))]),
      check: (m) => t.equal(m.get('max-forwards'), undefined),
    },
    {
      name: 'bare LF line endings accepted',
      buf: Buffer.from(['OPTIONS sip:x@y SIP/2.0', ...BASE.map((l) => l.replace('1 INVITE', '1 OPTIONS'))].join('\n') + '\n\n'),
      check: (m) => t.equal(m.get('cseq'), '1 OPTIONS'),
    },
    {
      name: 'datagram longer than Content-Length: extra ignored (RFC 3261 18.3)',
      buf: msg(['INFO sip:x@y SIP/2.0', ...BASE.map((l) => l.replace('1 INVITE', '3 INFO')), 'Content-Length: 2'], 'abcdef'),
      check: (m) => t.equal(m.body.toString(), 'ab'),
    },
  ];
  for (const c of cases) {
    const r = parseMessage(c.buf, LIMITS);
    t.ok(r.ok, c.name);
    if (r.ok) c.check(r.message);
  }
});

t.test('malformed messages yield the exact error code', async (t) => {
  const big = 'x'.repeat(5000);
  const cases: { name: string; buf: Buffer; code: ParseErrorCode; answerable?: boolean }[] = [
    { name: 'empty', buf: Buffer.alloc(0), code: ParseErrorCode.Empty },
    { name: 'truncated (no blank line)', buf: Buffer.from('INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n'), code: ParseErrorCode.Truncated },
    { name: 'truncated body', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE, 'Content-Length: 100'], 'v=0'), code: ParseErrorCode.Truncated },
    { name: 'bad start line', buf: msg(['HELLO WORLD', ...BASE]), code: ParseErrorCode.BadStartLine },
    { name: 'bad version', buf: msg(['INVITE sip:x@y SIP/3.0', ...BASE]), code: ParseErrorCode.BadStartLine },
    { name: 'bad status code', buf: msg(['SIP/2.0 2000 OK', ...BASE]), code: ParseErrorCode.BadStartLine },
    { name: 'bad method chars', buf: msg(['IN(VITE sip:x@y SIP/2.0', ...BASE]), code: ParseErrorCode.BadStartLine },
    { name: 'Request-URI without scheme', buf: msg(['INVITE bob SIP/2.0', ...BASE]), code: ParseErrorCode.BadUri },
    { name: 'bad CSeq', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE.map((l) => l.replace('CSeq: 1 INVITE', 'CSeq: abc INVITE'))]), code: ParseErrorCode.BadCSeq, answerable: true },
    { name: 'CSeq method mismatch', buf: msg(['BYE sip:x@y SIP/2.0', ...BASE]), code: ParseErrorCode.CSeqMethodMismatch, answerable: true },
    { name: 'missing Via', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE.slice(1)]), code: ParseErrorCode.MissingHeader, answerable: false },
    { name: 'missing Call-ID', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE.filter((l) => !l.startsWith('Call-ID'))]), code: ParseErrorCode.MissingHeader, answerable: true },
    { name: 'missing From', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE.filter((l) => !l.startsWith('From'))]), code: ParseErrorCode.MissingHeader, answerable: true },
    { name: 'missing To', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE.filter((l) => !l.startsWith('To'))]), code: ParseErrorCode.MissingHeader, answerable: true },
    { name: 'missing CSeq', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE.filter((l) => !l.startsWith('CSeq'))]), code: ParseErrorCode.MissingHeader, answerable: true },
    { name: 'bad Via', buf: msg(['INVITE sip:x@y SIP/2.0', 'Via: garbage', ...BASE.slice(1)]), code: ParseErrorCode.BadVia },
    { name: 'bad From', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE.map((l) => l.startsWith('From') ? 'From: <nope' : l)]), code: ParseErrorCode.BadFromTo, answerable: true },
    { name: 'oversized', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE, 'Content-Length: 5000'], big), code: ParseErrorCode.TooLarge },
    { name: 'too many headers', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE, ...Array.from({ length: 20 }, (_, i) => `X-H${i}: v`)]), code: ParseErrorCode.TooManyHeaders },
    { name: 'binary garbage', buf: Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]), code: ParseErrorCode.Binary },
    { name: 'NUL inside a header', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE, 'X-Evil: a\u0000b']), code: ParseErrorCode.Binary },
    { name: 'bad Content-Length', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE, 'Content-Length: -1']), code: ParseErrorCode.BadContentLength },
    { name: 'header line without colon', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE, 'NoColonHere']), code: ParseErrorCode.BadHeader },
    { name: 'continuation before any header', buf: msg(['INVITE sip:x@y SIP/2.0', ' folded', ...BASE]), code: ParseErrorCode.BadHeader },
    { name: 'bare CR injection inside a value', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE, 'Subject: a\rInjected: b']), code: ParseErrorCode.BadHeader },
    { name: 'bad header name', buf: msg(['INVITE sip:x@y SIP/2.0', ...BASE, 'Bad Name: v']), code: ParseErrorCode.BadHeader },
  ];
  for (const c of cases) {
    const r = parseMessage(c.buf, LIMITS);
    t.notOk(r.ok, `${c.name}: rejected`);
    if (!r.ok) {
      t.equal(r.error.code, c.code, `${c.name}: code`);
      t.equal(r.error.name, 'SipParseError');
      if (c.answerable !== undefined) t.equal(r.error.request !== undefined, c.answerable, `${c.name}: answerable`);
    }
  }
});

t.test('random garbage never throws', async (t) => {
  let seed = 42;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  const valid = msg(['INVITE sip:bob@example.com SIP/2.0', ...BASE, 'Content-Length: 4'], 'v=0\n');
  let rejected = 0;
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(valid);
    for (let k = 0; k < 1 + (rnd() % 8); k++) b[rnd() % b.length] = rnd() % 256;
    const cut = b.subarray(0, rnd() % (b.length + 1));
    const r = parseMessage(cut, LIMITS);
    if (!r.ok) rejected++;
  }
  t.ok(rejected > 1000, `most mutated inputs rejected (${rejected})`);
});

t.test('serializer recomputes Content-Length and refuses injection', async (t) => {
  const r = new SipRequest('MESSAGE', 'sip:x@y', [['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1'], ['Content-Length', '999']], 'hello');
  const wire = serialize(r).toString();
  t.equal(wire, 'MESSAGE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello');
  t.throws(() => r.headers.set('Subject', 'x\r\nInjected: yes'), SipHeaderError);
  t.throws(() => r.headers.append('X-A', 'x\nB: c'), SipHeaderError);
  t.throws(() => new Headers([['Bad Name', 'v']]), SipHeaderError);
  r.uri = 'sip:x@y SIP/2.0\r\nEvil: 1';
  t.throws(() => serialize(r), SipSerializeError);
  const res = new SipResponse(200, 'OK\r\nEvil: 1');
  t.throws(() => serialize(res), SipSerializeError);
  // round trip keeps order and original case
  const p = parseMessage(msg(['INVITE sip:bob@example.com SIP/2.0', ...BASE, 'x-custom: A']), LIMITS);
  t.ok(p.ok);
  if (p.ok) {
    const again = serialize(p.message).toString();
    t.match(again, /^INVITE sip:bob@example.com SIP\/2.0\r\nVia: .*\r\nx-custom: A\r\nContent-Length: 0\r\n\r\n$/s);
  }
});

t.test('a reused wire form follows every change to the message', async (t) => {
  const r = new SipRequest('INVITE', 'sip:b@h', [['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1'], ['Route', '<sip:p1>, <sip:p2>']], 'v=0');
  const first = serialize(r);
  t.equal(serialize(r), first, 'unchanged: the same bytes are reused');
  t.equal(serializeText(r), first.toString('utf8'));
  const changes: [string, (m: SipRequest) => void, RegExp][] = [
    ['set', (m) => m.headers.set('Subject', 's1'), /Subject: s1\r\n/],
    ['append', (m) => m.headers.append('X-A', '1'), /X-A: 1\r\n/],
    ['prepend', (m) => m.headers.prepend('Via', 'SIP/2.0/UDP top;branch=z9hG4bK0'), /^INVITE [^\r]+\r\nVia: SIP\/2.0\/UDP top/],
    ['remove', (m) => m.headers.remove('X-A'), /^(?![\s\S]*X-A)/],
    ['removeFirst', (m) => m.headers.removeFirst('Route'), /Route: <sip:p2>\r\n/],
    ['replaceFirst', (m) => m.headers.replaceFirst('Via', 'SIP/2.0/UDP new;branch=z9hG4bK9'), /Via: SIP\/2.0\/UDP new/],
    ['uri', (m) => { m.uri = 'sip:c@h'; }, /^INVITE sip:c@h SIP\/2.0/],
    ['method', (m) => { m.method = 'OPTIONS'; }, /^OPTIONS /],
    ['body', (m) => { m.body = Buffer.from('v=1'); }, /Content-Length: 3\r\n\r\nv=1$/],
    ['headers object', (m) => { m.headers = new Headers([['Via', 'SIP/2.0/UDP z;branch=z9hG4bK7']]); }, /^OPTIONS sip:c@h SIP\/2.0\r\nVia: SIP\/2.0\/UDP z;branch=z9hG4bK7\r\nContent-Length/],
  ];
  for (const [name, change, expect] of changes) {
    const before = serialize(r);
    change(r);
    const after = serializeText(r);
    t.not(after, before.toString('utf8'), `${name}: serialized anew`);
    t.match(after, expect, name);
    t.equal(serialize(r).toString('utf8'), after, `${name}: text and bytes agree`);
  }
  const res = new SipResponse(180, 'Ringing', [['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1']]);
  serialize(res);
  res.status = 183;
  res.reason = 'Session Progress';
  t.match(serializeText(res), /^SIP\/2.0 183 Session Progress\r\n/, 'status line changes are seen');
});
