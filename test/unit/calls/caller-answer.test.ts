/**
 * answerForRecorder: the SDP a terminal record_caller answers with (RFC 3264): codec choice in
 * the offerer's order, telephone-event kept, other m-lines rejected with port 0, recvonly,
 * 488-coded error when nothing is acceptable.
 */
import t from 'tap';
import { answerForRecorder, NoAcceptableCodecError } from '../../../src/calls';

const offer = (m: string): string => ['v=0', 'o=a 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', ...m.split('\n'), ''].join('\r\n');

t.test('PCMU with telephone-event', async (t) => {
  const a = answerForRecorder(offer('m=audio 4000 RTP/AVP 0 8 101\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15'), '127.0.0.1', 30000, 42);
  t.equal(a.payloadType, 0);
  t.equal(a.encoding, 'PCMU');
  t.equal(a.telephoneEventPt, 101);
  t.equal(a.sdp, [
    'v=0', 'o=- 42 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=audio 30000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=recvonly', '',
  ].join('\r\n'));
});

t.test('the offerer\'s order: PCMA first wins; G.722 skipped', async (t) => {
  const a = answerForRecorder(offer('m=audio 4000 RTP/AVP 9 8 0'), '127.0.0.1', 30002, 1);
  t.equal(a.encoding, 'PCMA');
  t.equal(a.payloadType, 8);
  t.equal(a.telephoneEventPt, undefined);
  t.match(a.sdp, /m=audio 30002 RTP\/AVP 8\r\n/);
});

t.test('video and a second audio line are rejected with port 0', async (t) => {
  const a = answerForRecorder(offer('m=video 5000 RTP/AVP 96\na=rtpmap:96 H264/90000\nm=audio 4000 RTP/AVP 0\nm=audio 4002 RTP/AVP 0'), '127.0.0.1', 30004, 1);
  const mlines = a.sdp.split('\r\n').filter((l) => l.startsWith('m='));
  t.same(mlines, ['m=video 0 RTP/AVP 96', 'm=audio 30004 RTP/AVP 0', 'm=audio 0 RTP/AVP 0']);
});

t.test('IPv6 host', async (t) => {
  const a = answerForRecorder(offer('m=audio 4000 RTP/AVP 0'), '::1', 30006, 7);
  t.match(a.sdp, /c=IN IP6 ::1\r\n/);
});

t.test('nothing acceptable: 488', async (t) => {
  t.throws(() => answerForRecorder(offer('m=audio 4000 RTP/AVP 9\na=rtpmap:9 G722/8000'), '127.0.0.1', 30008, 1), NoAcceptableCodecError);
  try {
    answerForRecorder(offer('m=audio 0 RTP/AVP 0'), '127.0.0.1', 30008, 1);
    t.fail('should throw');
  } catch (err) {
    t.equal((err as NoAcceptableCodecError).sipStatus, 488);
    t.equal((err as NoAcceptableCodecError).code, 'RECORDING_NO_CODEC');
  }
});
