/**
 * Early media (RFC 3960) through rtpengine: the called phone answers the INVITE with a 183 and
 * SDP, plays a 700 Hz "ringback" for 1.5 s, then answers with a 200 and plays its 400 Hz tone;
 * the calling carrier must get a 183 WITH SDP (its SIPp scenario fails on a bare 180) and the
 * ringback's RTP through rtpengine before the answer. Two recordings share the call's fork: the
 * account's (from the start, as Kazoo's records the A leg) holds the ringback, the callee
 * device's inbound one (Kazoo's Execute-On-Answer) does not. Real rtpengine, decoded files.
 */
import t from 'tap';
import { tonePcap } from '../../helpers/pcap';
import { freePort } from '../../helpers/ports';
import { RtpEndpoint } from '../../helpers/rtp';
import type { TestService } from '../../helpers/service';
import { runSipp, scenarioFrom } from '../../helpers/sipp';
import { UploadServer } from '../../helpers/upload-server';
import { answerOn, ended, nextCall, registerPhone } from '../calls/setup';
import { dominantSpan, goertzel, toneSpan } from './media';
import {
  CALLEE_TONE, CALLER_TONE, CARRIER, decodeBody, setRecording, uploadsOf, type World, recordingSuite,
} from './setup';

const EARLY_TONE = 700;
/** Ringback packets (20 ms each) and how long after its 183 the phone answers. */
const EARLY_PACKETS = 75;
const EARLY_MS = 2000;

let svc: TestService;
let upload: UploadServer;
let w: World;
let dir: string;

recordingSuite(t, 'early-media-', async (s) => {
  ({ svc, upload, w, dir } = s);
});


t.test('a 183 with SDP reaches the caller through rtpengine; only the recording from the start holds it', async (t) => {
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { offnet: { enabled: true, url: `${upload.url}/start`, format: 'wav' } } } });
  await setRecording(svc, 'devices', w.calleeDevice, { inbound: { offnet: { enabled: true, url: `${upload.url}/answer`, format: 'wav' } } });
  t.teardown(async () => {
    await setRecording(svc, 'accounts', w.accountId, null);
    await setRecording(svc, 'devices', w.calleeDevice, null);
  });
  const phone = await registerPhone(svc, '2001');
  const callerRtp = await RtpEndpoint.open(CARRIER);
  t.teardown(() => {
    callerRtp.close();
    phone.rtp.close();
  });
  const uas = answerOn(phone.port, scenarioFrom('rec-phone-early-media.xml', {
    EARLY: tonePcap(dir, 'early.pcap', EARLY_TONE, EARLY_PACKETS, 0x7070), EARLYMS: String(EARLY_MS), TALK: tonePcap(dir, 'talk.pcap', CALLEE_TONE, 100, 0x4040),
  }, dir), phone.rtp.port);
  const callP = nextCall(svc);
  const uac = runSipp({
    scenario: scenarioFrom('rec-carrier-early-media.xml', { PCAP: tonePcap(dir, 'caller.pcap', CALLER_TONE, 100, 0x1010), MS: '2500' }, dir),
    remote: svc.sipTarget, localPort: await freePort(CARRIER), timeoutMs: 30_000,
    args: ['-m', '1', '-i', CARRIER, '-s', '4420000', '-key', 'rtpport', String(callerRtp.port)],
  });
  const call = await callP;
  let tEarly = 0;
  let tAnswered = 0;
  call.once('earlyMedia', () => { tEarly = performance.now(); });
  call.once('answered', () => { tAnswered = performance.now(); });
  // Half a second of the ringback at the caller, through rtpengine, while the phone has not answered.
  const heard = callerRtp.waitFor((r) => r.length >= 25, 10_000).then(() => performance.now(), () => 0);
  const [caller, callee] = await Promise.all([uac, uas.done]);
  t.equal(caller.code, 0, `the caller got a 183 with SDP, then the 200 ${caller.errors}`);
  t.equal(callee.code, 0, `the phone: 183, 200, BYE ${callee.errors}`);
  await ended(call);
  t.ok(tEarly > 0 && tAnswered > tEarly, 'early media relayed before the answer');
  const tHeard = await heard;
  t.ok(tHeard > 0 && tHeard < tAnswered, `the caller received the ringback before the answer (${(tAnswered - tHeard).toFixed(0)} ms before)`);

  const ups = await uploadsOf(upload, call.callId, 2);
  const fromStart = ups.find((u) => u.path.startsWith('/start/'));
  const onAnswer = ups.find((u) => u.path.startsWith('/answer/'));
  if (!fromStart || !onAnswer) throw new Error(`uploads: ${ups.map((u) => u.path).join(', ')}`);
  const s = decodeBody(fromStart.body, 'wav');
  const a = decodeBody(onAnswer.body, 'wav');
  const rate = s.sampleRate;
  // Right channel: the callee (stereo default).
  const ring = dominantSpan(s.ch[1], rate, EARLY_TONE, CALLEE_TONE);
  const talk = dominantSpan(s.ch[1], rate, CALLEE_TONE, EARLY_TONE);
  t.ok(ring.blocks >= 65, `the recording from the start holds the ringback (${ring.blocks} blocks of 20 ms of ${EARLY_TONE} Hz, ${EARLY_PACKETS} sent)`);
  t.ok(ring.firstSec >= 0 && ring.lastSec <= talk.firstSec + 0.04, `ringback (${ring.firstSec.toFixed(2)}-${ring.lastSec.toFixed(2)} s) before the answered tone (from ${talk.firstSec.toFixed(2)} s)`);
  t.equal(dominantSpan(a.ch[1], a.sampleRate, EARLY_TONE, CALLEE_TONE).blocks, 0, 'the on-answer recording has no 20 ms block of ringback');
  t.ok(goertzel(a.ch[1], a.sampleRate, CALLEE_TONE) > 100 * goertzel(a.ch[1], a.sampleRate, EARLY_TONE), 'its callee channel is the answered tone only');
  const answered = toneSpan(a.ch[1], a.sampleRate, CALLEE_TONE);
  t.ok(answered.lastSec - answered.firstSec >= 1.8, `the answered tone is in it (${(answered.lastSec - answered.firstSec).toFixed(3)} s)`);
  t.ok(s.durationSec - a.durationSec >= 1.5, `the recording from the start is longer by the early phase (${(s.durationSec - a.durationSec).toFixed(3)} s)`);
});
