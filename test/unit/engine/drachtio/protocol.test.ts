import t from 'tap';
import { FrameDecoder, FramingError, encodeFrame } from '../../../../src/engine/drachtio/framing';
import {
  parseAppCommand, formatApiResponse, formatSipEvent, formatSentResponse, formatSentRequest, stackTime, type SipMeta,
} from '../../../../src/engine/drachtio/protocol';

t.test('framing round trip, split anywhere, UTF-8 lengths', async (t) => {
  const msgs = ['abc|ping', 'x|sip|||\r\nINVITE sip:é@h SIP/2.0\r\n\r\n', '😀|route|invite'];
  const wire = Buffer.concat(msgs.map(encodeFrame));
  t.equal(encodeFrame('é').toString('latin1').split('#')[0], '2', 'length counts bytes');
  for (let split = 1; split < wire.length; split += 7) {
    const d = new FrameDecoder();
    const got = [...d.push(wire.subarray(0, split)), ...d.push(wire.subarray(split))];
    t.same(got, msgs, `split at ${split}`);
    t.equal(d.pending, 0);
  }
  const d = new FrameDecoder();
  const got: string[] = [];
  for (const b of wire) got.push(...d.push(Buffer.from([b])));
  t.same(got, msgs, 'byte by byte');
});

t.test('framing rejects garbage', async (t) => {
  const cases: [string, string][] = [
    ['#abc', 'empty length'],
    ['12a#abc', 'letter in length'],
    ['0#', 'zero length'],
    ['12345678#x', 'too many digits'],
    ['GET / HTTP/1.1\r\n', 'http'],
    ['99999999', 'digits without hash'],
  ];
  for (const [input, name] of cases) {
    t.throws(() => new FrameDecoder().push(Buffer.from(input)), FramingError, name);
  }
  t.throws(() => new FrameDecoder(10).push(Buffer.from('11#')), FramingError, 'over max');
});

t.test('parseAppCommand', async (t) => {
  const rows: [string, unknown][] = [
    ['m1|authenticate|cymru|a,b', { kind: 'authenticate', msgId: 'm1', secret: 'cymru', tags: ['a', 'b'] }],
    ['m1|authenticate|cymru|', { kind: 'authenticate', msgId: 'm1', secret: 'cymru', tags: [] }],
    ['m2|route|INVITE', { kind: 'route', msgId: 'm2', verb: 'invite' }],
    ['m2|remove_route|register', { kind: 'remove_route', msgId: 'm2', verb: 'register' }],
    ['m2|route', { kind: 'invalid', msgId: 'm2', reason: 'route request without a verb' }],
    ['m3|ping', { kind: 'ping', msgId: 'm3' }],
    ['m4|sip|t1|d1\r\nBYE sip:a SIP/2.0\r\n\r\n',
      { kind: 'sip', msgId: 'm4', transactionId: 't1', dialogId: 'd1', routeUrl: '', message: 'BYE sip:a SIP/2.0\r\n\r\n' }],
    ['m4|sip|||sip:proxy\r\nX', { kind: 'sip', msgId: 'm4', transactionId: '', dialogId: '', routeUrl: 'sip:proxy', message: 'X' }],
    ['m4|sip|t1\r\nX', { kind: 'invalid', msgId: 'm4', reason: 'sip message without transaction and dialog ids' }],
    ['m4|sip||', { kind: 'invalid', msgId: 'm4', reason: 'sip message without a SIP message' }],
    ['m5|proxy|t|remainInDialog', { kind: 'unsupported', msgId: 'm5', type: 'proxy' }],
    ['m6', { kind: 'invalid', msgId: 'm6', reason: 'Invalid message format' }],
  ];
  for (const [input, want] of rows) t.same(parseAppCommand(input), want, JSON.stringify(input));
});

t.test('formats read back the way drachtio-srf reads them', async (t) => {
  const meta: SipMeta = { source: 'network', bytes: 321, protocol: 'udp', address: '10.0.0.1', port: 5062, time: '01:02:03.004000' };
  const ev = formatSipEvent(meta, 'tx1', '', 'INVITE sip:x SIP/2.0\r\n\r\n', { address: '127.0.0.1', port: 5060 });
  const tok = ev.slice(0, ev.indexOf('\r')).split('|');
  // token positions used by drachtio-agent.js _onMsg
  t.equal(tok[1], 'sip');
  t.equal(tok[2], 'network');
  t.equal(tok[4], 'udp');
  t.equal(tok[5], '10.0.0.1');
  t.equal(tok[6], '5062');
  t.equal(tok[7], '01:02:03.004000');
  t.equal(tok[8], 'tx1');
  t.equal(tok[9], '');
  t.equal(`${tok[10]}:${tok[11]}`, '127.0.0.1:5060');
  t.equal(ev.slice(ev.indexOf('\r\n') + 2), 'INVITE sip:x SIP/2.0\r\n\r\n');

  const inDialog = formatSipEvent(meta, 'tx2', 'cid;from-tag=a', 'BYE sip:x SIP/2.0\r\n\r\n');
  const t2 = inDialog.slice(0, inDialog.indexOf('\r')).split('|');
  t.ok(t2.length > 9 && t2.length <= 11, 'no receivedOn tokens');
  t.equal(t2[9], 'cid;from-tag=a');

  const app: SipMeta = { ...meta, source: 'application' };
  const sr = formatSentResponse('m9', app, 'tx1', 'cid;from-tag=a', 'SIP/2.0 200 OK\r\n\r\n');
  const t3 = sr.slice(0, sr.indexOf('\r')).split('|');
  t.equal(t3[1], 'response');
  t.equal(t3[2], 'm9');
  t.equal(t3[3], 'OK');
  t.equal(t3[4], 'application');
  t.equal(t3[10], 'tx1', 'meta.transactionId');
  t.equal(t3[11], 'cid;from-tag=a', 'meta.dialogId');
  t.not(t3[12], 'continue');

  const rq = formatSentRequest('m8', app, 'tx7', 'INVITE sip:x SIP/2.0\r\n\r\n');
  const t4 = rq.slice(0, rq.indexOf('\r')).split('|').slice(3);
  t.equal(t4[0], 'OK');
  t.equal(t4[7], 'tx7', 'srf _makeRequest reads token[7] as transactionId');

  const err = formatApiResponse('m7', false, 'proxy is not supported');
  t.same(err.split('|').slice(1), ['response', 'm7', 'NOK', 'proxy is not supported']);
});

t.test('stackTime', async (t) => {
  t.equal(stackTime(Date.UTC(2020, 0, 1, 13, 4, 5, 67)), '13:04:05.067000');
});
