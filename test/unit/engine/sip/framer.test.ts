import t from 'tap';
import { TcpFramer, ParseErrorCode, type FramerOutput } from '../../../../src/engine/sip';

const LIMITS = { maxMessageBytes: 2048, maxHeaders: 30 };
const M = (cseq: number, body = ''): string => [
  'MESSAGE sip:x@y SIP/2.0', 'Via: SIP/2.0/TCP a:1;branch=z9hG4bK' + cseq, 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>',
  'Call-ID: c', `CSeq: ${cseq} MESSAGE`, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
].join('\r\n');

function kinds(out: FramerOutput[]): string[] {
  return out.map((o) => (o.kind === 'message' ? `msg:${o.message.get('cseq')}:${o.message.body.toString()}` : o.kind === 'error' ? `err:${o.error.code}` : 'ping'));
}

t.test('frames messages split and merged arbitrarily', async (t) => {
  const stream = Buffer.from('\r\n\r\n' + M(1, 'hello') + '\r\n' + M(2) + M(3, 'x'.repeat(100)));
  for (const step of [1, 7, 64, stream.length]) {
    const f = new TcpFramer(LIMITS);
    const out: FramerOutput[] = [];
    for (let i = 0; i < stream.length; i += step) out.push(...f.push(stream.subarray(i, i + step)));
    t.same(kinds(out), ['ping', 'msg:1 MESSAGE:hello', 'msg:2 MESSAGE:', `msg:3 MESSAGE:${'x'.repeat(100)}`], `chunk size ${step}`);
    t.equal(f.buffered, 0);
  }
});

t.test('stream errors kill the framer', async (t) => {
  const cases: [string, Buffer, ParseErrorCode][] = [
    ['header section over the limit', Buffer.from('INVITE sip:x@y SIP/2.0\r\nX: ' + 'a'.repeat(3000)), ParseErrorCode.TooLarge],
    ['declared body over the limit', Buffer.from(M(1).replace('Content-Length: 0', 'Content-Length: 99999')), ParseErrorCode.TooLarge],
    ['bad Content-Length', Buffer.from(M(1).replace('Content-Length: 0', 'Content-Length: ten')), ParseErrorCode.BadContentLength],
    ['garbage frame', Buffer.from('GARBAGE\r\n\r\n'), ParseErrorCode.BadStartLine],
  ];
  for (const [name, buf, code] of cases) {
    const f = new TcpFramer(LIMITS);
    t.same(kinds(f.push(buf)), [`err:${code}`], name);
    t.same(f.push(Buffer.from(M(5))), [], `${name}: dead afterwards`);
  }
});
