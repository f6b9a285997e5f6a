/**
 * Broken and hostile SIP inputs for the malformed-input test: truncated, bad start lines,
 * missing mandatory headers, oversized, binary, header injection, lying Content-Length.
 */
import { randomBytes } from 'node:crypto';

function invite(port: number, extra: string[] = [], drop: string[] = [], body = ''): string {
  const h = [
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${randomBytes(6).toString('hex')}`,
    `From: <sip:evil@127.0.0.1>;tag=${randomBytes(4).toString('hex')}`,
    '  To: <sip:victim@127.0.0.1>'.trim(),
    `Call-ID: ${randomBytes(8).toString('hex')}`,
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    `Contact: <sip:evil@127.0.0.1:${port}>`,
  ].filter((l) => !drop.some((d) => l.toLowerCase().startsWith(d)));
  return [`INVITE sip:victim@127.0.0.1 SIP/2.0`, ...h, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
}

/** At least 30 distinct payloads; the test sends each over UDP and over TCP. */
export function hostileMessages(port: number): Buffer[] {
  const ok = invite(port);
  const out: (string | Buffer)[] = [
    ok.slice(0, 40),
    ok.slice(0, ok.length / 2),
    ok.replace('SIP/2.0', 'SIP/3.0'),
    ok.replace('INVITE sip:victim@127.0.0.1 SIP/2.0', 'INVITE'),
    ok.replace('INVITE sip:victim@127.0.0.1 SIP/2.0', 'INVITE  sip:victim@127.0.0.1  SIP/2.0 extra'),
    ok.replace('INVITE sip:victim@127.0.0.1 SIP/2.0', 'INV\u0000ITE sip:victim@127.0.0.1 SIP/2.0'),
    ok.replace('INVITE sip:victim@127.0.0.1 SIP/2.0', 'GET / HTTP/1.1'),
    ok.replace('sip:victim@127.0.0.1 SIP', 'http://victim SIP'),
    ok.replace('sip:victim@127.0.0.1 SIP', ':::::: SIP'),
    invite(port, [], ['via']),
    invite(port, [], ['from']),
    invite(port, [], ['to']),
    invite(port, [], ['call-id']),
    invite(port, [], ['cseq']),
    invite(port, [], ['via', 'from', 'to', 'call-id', 'cseq']),
    ok.replace('CSeq: 1 INVITE', 'CSeq: x INVITE'),
    ok.replace('CSeq: 1 INVITE', 'CSeq: 1 BYE'),
    ok.replace('CSeq: 1 INVITE', 'CSeq: 99999999999999999999 INVITE'),
    ok.replace(/Via: [^\r]*/, 'Via: garbage'),
    ok.replace(/From: [^\r]*/, 'From: <<<>>>;tag='),
    ok.replace('Content-Length: 0', 'Content-Length: 5000'),
    ok.replace('Content-Length: 0', 'Content-Length: -5'),
    ok.replace('Content-Length: 0', 'Content-Length: abc'),
    invite(port, ['X-Injected: a\rInjected: b']),
    invite(port, ['X-Nul: a\u0000b']),
    invite(port, ['NoColonHere']),
    invite(port, [':empty-name']),
    invite(port, Array.from({ length: 300 }, (_, i) => `X-H${i}: ${i}`)),
    invite(port, [`X-Big: ${'A'.repeat(70000)}`]),
    invite(port, [], [], 'v=0\r\n'.repeat(20000)),
    randomBytes(512),
    randomBytes(3),
    Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0d, 0x0a, 0x0d, 0x0a]),
    '\r\n\r\n\r\n',
    'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n',
    `SIP/2.0 999999 Nope\r\n${ok.split('\r\n').slice(1).join('\r\n')}`,
    ok.replace('Max-Forwards: 70', 'Max-Forwards: 0'),
    '\u00e9\u00e8\u4e2d\u6587 sip:x SIP/2.0\r\n\r\n',
  ];
  return out.map((m) => (typeof m === 'string' ? Buffer.from(m, 'utf8') : m));
}
