import t from 'tap';
import { connect } from 'node:net';
import { runSipp } from '../../../helpers/sipp';
import { freePort } from '../../../helpers/ports';
import { startUas } from './fixtures/uas';
import { RawPeer, delay } from './fixtures/peer';

const VALID = [
  'INVITE sip:svc@127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:PEER;branch=z9hG4bKmal;rport',
  'From: <sip:a@127.0.0.1>;tag=1',
  'To: <sip:svc@127.0.0.1>',
  'Call-ID: mal-1',
  'CSeq: 1 INVITE',
  'Max-Forwards: 70',
  'Content-Length: 4',
  '',
  'v=0\n',
];

/** Broken or hostile datagrams; `answer` marks those a 400 can be addressed to. */
function hostileDatagrams(peerPort: number): { buf: Buffer; answer: boolean }[] {
  const text = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n').replace('PEER', String(peerPort)));
  const valid = text(VALID);
  const without = (prefix: string): string[] => VALID.filter((l) => !l.startsWith(prefix));
  const replace = (prefix: string, line: string): string[] => VALID.map((l) => (l.startsWith(prefix) ? line : l));
  const out: { buf: Buffer; answer: boolean }[] = [];
  // truncated at 12 points (never complete)
  for (let i = 1; i <= 12; i++) out.push({ buf: valid.subarray(0, Math.floor((valid.length - 6) * i / 13)), answer: false });
  // bad start lines
  for (const sl of ['INVITE', 'INVITE sip:x SIP/1.0', 'SIP/2.0 abc OK', 'GET / HTTP/1.1', '\u00e9\u00e9 sip:x@y SIP/2.0', 'INVITE  SIP/2.0']) {
    out.push({ buf: text(replace('INVITE sip', sl)), answer: false });
  }
  // missing mandatory headers: From/To/Call-ID/CSeq are answerable with 400, Via is not
  for (const h of ['From', 'To', 'Call-ID', 'CSeq']) out.push({ buf: text(without(h)), answer: true });
  out.push({ buf: text(without('Via')), answer: false });
  // bad CSeq / mismatch / bad From
  for (const c of ['CSeq: x INVITE', 'CSeq: 99999999999 INVITE', 'CSeq: 1', 'CSeq: 1 BYE']) out.push({ buf: text(replace('CSeq', c)), answer: true });
  out.push({ buf: text(replace('From', 'From: <sip:broken')), answer: true });
  // Via garbage, Content-Length lies
  out.push({ buf: text(replace('Via', 'Via: nonsense')), answer: false });
  out.push({ buf: text(replace('Content-Length', 'Content-Length: 9999')), answer: false });
  out.push({ buf: text(replace('Content-Length', 'Content-Length: -5')), answer: false });
  out.push({ buf: text(replace('Content-Length', 'Content-Length: 1e3')), answer: false });
  out.push({ buf: text(replace('Via', 'Via: SIP/2.0/UDP 127.0.0.1;rport=abc;branch=z9hG4bKx')), answer: false });
  out.push({ buf: text(replace('INVITE sip', 'SIP/2.0 999 Weird')), answer: false });
  // header injection attempts: bare CR, NUL
  out.push({ buf: text(replace('Max-Forwards', 'Subject: a\rVia: SIP/2.0/UDP 6.6.6.6')), answer: false });
  out.push({ buf: text(replace('Max-Forwards', 'Subject: a\u0000b')), answer: false });
  // oversized and too many headers
  out.push({ buf: text(replace('Max-Forwards', `X-Big: ${'A'.repeat(20000)}`)), answer: false });
  out.push({ buf: text(replace('Max-Forwards', Array.from({ length: 300 }, (_, i) => `X-${i}: v`).join('\r\n'))), answer: false });
  // binary garbage
  let seed = 7;
  for (let i = 0; i < 12; i++) {
    const b = Buffer.alloc(50 + i * 37);
    for (let k = 0; k < b.length; k++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; b[k] = seed & 0xff; }
    b[0] = 0x00;
    out.push({ buf: b, answer: false });
  }
  out.push({ buf: Buffer.alloc(0), answer: false });
  return out;
}

t.test('hostile datagrams and TCP streams are counted and survived; calls still complete', async (t) => {
  const uas = await startUas({ maxMessageBytes: 16384, maxHeaders: 64 });
  t.teardown(() => uas.stack.close());
  const malformedEvents: string[] = [];
  uas.stack.on('malformed', (i) => malformedEvents.push(i.reason));
  const peer = await RawPeer.create();
  t.teardown(() => peer.close());

  const grams = hostileDatagrams(peer.port);
  for (const g of grams) {
    peer.socket.send(g.buf, uas.port, '127.0.0.1');
  }
  const expected400 = grams.filter((g) => g.answer).length;
  for (let i = 0; i < 100 && peer.raw.length < expected400; i++) await delay(50);
  await delay(200);
  t.ok(grams.length >= 50, `${grams.length} hostile datagrams`);
  t.equal(peer.raw.filter((r) => r.startsWith('SIP/2.0 400 ')).length, expected400, '400 for each addressable malformed request');
  t.equal(peer.raw.length, expected400, 'nothing else answered');
  t.equal(uas.counts.INVITE ?? 0, 0, 'no malformed request reached the TU');

  // TCP: each hostile stream must get its connection closed by the stack.
  const streams: Buffer[] = [
    Buffer.from('GARBAGE GARBAGE\r\n\r\n'),
    Buffer.from(`INVITE sip:x@y SIP/2.0\r\nX: ${'z'.repeat(20000)}`),
    Buffer.from(VALID.join('\r\n').replace('Content-Length: 4', 'Content-Length: 999999')),
    Buffer.from(VALID.join('\r\n').replace('Content-Length: 4', 'Content-Length: four')),
    Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 13, 10, 13, 10]),
  ];
  for (const s of streams) {
    const closed = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: '127.0.0.1', port: uas.port });
      const timer = setTimeout(() => { sock.destroy(); resolve(false); }, 5000);
      sock.on('error', () => undefined);
      sock.on('close', () => { clearTimeout(timer); resolve(true); });
      sock.on('connect', () => sock.write(s));
    });
    t.ok(closed, `server closed a TCP peer sending ${JSON.stringify(s.subarray(0, 24).toString('latin1'))}`);
  }
  const s = uas.stack.stats();
  t.equal(s.malformed, grams.length + streams.length, 'every hostile input counted');
  t.equal(malformedEvents.length, s.malformed);

  for (const tp of ['u1', 't1']) {
    const r = await runSipp({ scenario: 'uac', remote: `127.0.0.1:${uas.port}`, localPort: await freePort(), args: ['-m', '20', '-r', '20', '-t', tp], timeoutMs: 60_000 });
    t.equal(r.stats?.successful, 20, `20 calls over ${tp} after the abuse ${r.errors.slice(-300)}`);
  }
});
