import t from 'tap';
import { buildRecorderAnswer, parseSdp, serializeSdp, SdpError } from '../../../src/media';

function subscribeOffer(mlines: string[][]): string {
  const out = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=rtpengine', 't=0 0'];
  mlines.forEach((codecs, i) => {
    out.push(`m=audio ${23000 + i * 2} RTP/AVP ${codecs.map((c) => c.split(' ')[0]).join(' ')}`, 'c=IN IP4 127.0.0.1');
    for (const c of codecs) out.push(`a=rtpmap:${c}`);
    out.push('a=sendonly', 'a=ptime:20');
  });
  return out.join('\r\n') + '\r\n';
}

t.test('codec choice per stream (table)', async (t) => {
  // codecs: every answered audio codec per stream, in the offer's order (a phone offering PCMU
  // and PCMA may send either; rtpengine refuses an answer that narrows such an offer).
  const rows: Array<{ name: string; offer: string[][]; codecs: string[][]; transcode: boolean[] }> = [
    { name: 'PCMU and PCMA both legs', offer: [['0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000'], ['0 PCMU/8000', '8 PCMA/8000']], codecs: [['PCMU', 'PCMA'], ['PCMU', 'PCMA']], transcode: [false, false] },
    { name: 'PCMA first', offer: [['8 PCMA/8000', '0 PCMU/8000'], ['8 PCMA/8000']], codecs: [['PCMA', 'PCMU'], ['PCMA']], transcode: [false, false] },
    { name: 'PCMA call', offer: [['8 PCMA/8000'], ['8 PCMA/8000']], codecs: [['PCMA'], ['PCMA']], transcode: [false, false] },
    { name: 'G722 with PCMA added by transcode request', offer: [['9 G722/8000', '8 PCMA/8000'], ['9 G722/8000', '8 PCMA/8000']], codecs: [['PCMA'], ['PCMA']], transcode: [true, true] },
    { name: 'G722 first, PCMU and PCMA after', offer: [['9 G722/8000', '0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000']], codecs: [['PCMU', 'PCMA']], transcode: [true] },
    { name: 'opus without PCMA offered: still PCMA, transcode', offer: [['96 opus/48000/2'], ['96 opus/48000/2']], codecs: [['PCMA'], ['PCMA']], transcode: [true, true] },
    { name: 'a 16 kHz codec named PCMU is not ours', offer: [['97 PCMU/16000', '8 PCMA/8000']], codecs: [['PCMA']], transcode: [true] },
    { name: 'mixed legs', offer: [['0 PCMU/8000', '8 PCMA/8000'], ['9 G722/8000', '8 PCMA/8000']], codecs: [['PCMU', 'PCMA'], ['PCMA']], transcode: [false, true] },
  ];
  for (const r of rows) {
    const a = buildRecorderAnswer(parseSdp(subscribeOffer(r.offer)), '127.0.0.1', [31000, 31002]);
    t.same(a.streams.map((s) => s.codecs.map((c) => c.encoding)), r.codecs, `${r.name}: codecs`);
    t.same(a.streams.map((s) => s.codec.encoding), r.codecs.map((c) => c[0]), `${r.name}: first codec`);
    t.same(a.streams.map((s) => s.transcode), r.transcode, `${r.name}: transcode`);
    t.equal(a.transcode, r.transcode.some(Boolean), `${r.name}: any transcode`);
  }
});

t.test('answer SDP: recvonly, our ports, same m-line order, telephone-event kept', async (t) => {
  const offer = parseSdp(subscribeOffer([['0 PCMU/8000', '101 telephone-event/8000'], ['8 PCMA/8000']]));
  const a = buildRecorderAnswer(offer, '10.1.2.3', [31000, 31002]);
  const text = serializeSdp(a.sdp);
  const media = text.split('\r\n').filter((l) => l.startsWith('m=') || l.startsWith('a=') || l.startsWith('c='));
  t.same(media, [
    'c=IN IP4 10.1.2.3',
    'm=audio 31000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=ptime:20', 'a=recvonly',
    'm=audio 31002 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', 'a=ptime:20', 'a=recvonly',
  ]);
  t.same(a.streams.map((s) => [s.index, s.port, s.telephoneEventPt]), [[0, 31000, 101], [1, 31002, undefined]]);
});

t.test('a rejected (port 0) m-line is answered with port 0 (RFC 3264 section 6)', async (t) => {
  const offer = parseSdp('v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 23000 RTP/AVP 0\r\nm=audio 0 RTP/AVP 0\r\n');
  const a = buildRecorderAnswer(offer, '127.0.0.1', [31000, 31002]);
  t.same(a.sdp.media.map((m) => m.port), [31000, 0]);
  t.equal(a.streams.length, 1);
});

t.test('errors', async (t) => {
  t.throws(() => buildRecorderAnswer(parseSdp('v=0\r\nm=video 1 RTP/AVP 31\r\n'), '127.0.0.1', [1]), SdpError, 'no audio');
  t.throws(() => buildRecorderAnswer(parseSdp(subscribeOffer([['0 PCMU/8000'], ['0 PCMU/8000']])), '127.0.0.1', [1]), SdpError, 'too few ports');
});
