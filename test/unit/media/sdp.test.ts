import t from 'tap';
import {
  audioCodecNames, effectiveDirection, isHold, mediaAddress, mediaCodecs, parseSdp, serializeSdp, SdpError,
} from '../../../src/media';

const PHONE = [
  'v=0', 'o=- 123 1 IN IP4 10.0.0.5', 's=call', 'c=IN IP4 10.0.0.5', 't=0 0',
  'm=audio 4000 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', '',
].join('\r\n');

t.test('parse: fields of a typical phone offer', async (t) => {
  const s = parseSdp(PHONE);
  t.same(s.sessionLines, ['v=0', 'o=- 123 1 IN IP4 10.0.0.5', 's=call', 't=0 0']);
  t.equal(s.connection, '10.0.0.5');
  t.equal(s.media.length, 1);
  const m = s.media[0];
  t.same(
    { type: m.type, port: m.port, proto: m.proto, formats: m.formats, ptime: m.ptime, direction: m.direction, other: m.otherAttributes },
    { type: 'audio', port: 4000, proto: 'RTP/AVP', formats: ['0', '8', '101'], ptime: 20, direction: 'sendrecv', other: ['fmtp:101 0-16'] },
  );
  t.same(m.rtpmaps[2], { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 });
});

t.test('serialize(parse(x)) round-trips canonical SDP byte for byte', async (t) => {
  const cases: Array<[string, string]> = [
    ['phone offer', PHONE],
    ['rtpengine subscribe offer (two m-lines, media c=, rtcp)', [
      'v=0', 'o=- 77 77 IN IP4 127.0.0.1', 's=rtpengine', 't=0 0',
      'm=audio 23026 RTP/AVP 0 101', 'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
      'a=rtcp:23027', 'a=ptime:20', 'a=sendonly',
      'm=audio 23042 RTP/AVP 0 101', 'c=IN IP4 127.0.0.1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
      'a=rtcp:23043', 'a=ptime:20', 'a=sendonly', '',
    ].join('\r\n')],
    // sdp-transform writes attributes in its grammar's order (rtpmap, mid, direction, label):
    // attribute order within a media section carries no meaning (RFC 4566 section 5).
    ['labels, mids, opus with channels, session attribute', [
      'v=0', 'o=- 1 2 IN IP6 ::1', 's=-', 'c=IN IP6 ::1', 't=0 0', 'a=group:BUNDLE a b',
      'm=audio 5000 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2', 'a=mid:a', 'a=inactive', 'a=label:caller',
      'm=audio 0 RTP/AVP 0', 'a=mid:b', 'a=label:callee', '',
    ].join('\r\n')],
  ];
  for (const [name, text] of cases) t.equal(serializeSdp(parseSdp(text)), text, name);
});

t.test('LF-only input is accepted and written with CRLF', async (t) => {
  const out = serializeSdp(parseSdp(PHONE.replace(/\r\n/g, '\n')));
  t.equal(out, PHONE);
});

t.test('mediaCodecs: rtpmap first, static table for payload types without one (RFC 3551)', async (t) => {
  const rows: Array<[string, string[]]> = [
    ['m=audio 1 RTP/AVP 0 8 9 18', ['PCMU', 'PCMA', 'G722', 'G729']],
    ['m=audio 1 RTP/AVP 96 0\r\na=rtpmap:96 opus/48000/2', ['opus', 'PCMU']],
    ['m=audio 1 RTP/AVP 3 13', ['GSM', 'CN']],
    ['m=audio 1 RTP/AVP 97', []], // dynamic without rtpmap: unknown
  ];
  for (const [mline, names] of rows) {
    const s = parseSdp(`v=0\r\n${mline}\r\n`);
    t.same(mediaCodecs(s.media[0]).map((c) => c.encoding), names, mline);
  }
  t.same(audioCodecNames(parseSdp(PHONE)), ['PCMU', 'PCMA'], 'telephone-event left out');
});

t.test('direction, address and hold detection (RFC 3264 sections 5.1 and 8.4)', async (t) => {
  const rows: Array<[string, string, string, boolean]> = [
    ['sendrecv', 'c=IN IP4 10.0.0.1', 'a=sendrecv', false],
    ['sendonly', 'c=IN IP4 10.0.0.1', 'a=sendonly', true],
    ['inactive', 'c=IN IP4 10.0.0.1', 'a=inactive', true],
    ['recvonly', 'c=IN IP4 10.0.0.1', 'a=recvonly', false],
    ['no attribute = sendrecv', 'c=IN IP4 10.0.0.1', '', false],
    ['RFC 2543 hold c=0.0.0.0', 'c=IN IP4 0.0.0.0', '', true],
  ];
  for (const [name, c, a, hold] of rows) {
    const text = ['v=0', c, 'm=audio 4000 RTP/AVP 0', a].filter(Boolean).join('\r\n');
    const s = parseSdp(text);
    t.equal(isHold(s), hold, name);
    t.equal(effectiveDirection(s, s.media[0]), a ? a.slice(2) : 'sendrecv', `${name}: direction`);
  }
  const sessionDir = parseSdp('v=0\r\nc=IN IP4 1.2.3.4\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 5.6.7.8\r\n');
  t.equal(effectiveDirection(sessionDir, sessionDir.media[0]), 'sendonly', 'session-level direction applies');
  t.equal(mediaAddress(sessionDir, sessionDir.media[0]), '5.6.7.8', 'media c= wins over session c=');
  t.equal(isHold(parseSdp('v=0\r\nm=video 4000 RTP/AVP 31\r\na=sendonly\r\n')), false, 'no audio: not hold');
});

t.test('bad input throws SdpError with code SDP_INVALID', async (t) => {
  const bad = ['m=audio 1 RTP/AVP 0', 'v=0\r\nthis is not sdp', 'v=0\r\nc=IN IPX 1.2.3.4', 'v=0\r\nm=audio 70000 RTP/AVP 0',
    'v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:zero PCMU'];
  for (const text of bad) {
    t.throws(() => parseSdp(text), SdpError, JSON.stringify(text));
    try {
      parseSdp(text);
    } catch (e) {
      t.equal((e as SdpError).code, 'SDP_INVALID');
    }
  }
});
